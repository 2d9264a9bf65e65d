"""Fields kept in both languages, and history (registered after translation, as in
reference/translation.py)."""

import simple_history
from modeltranslation.translator import TranslationOptions, register

from projects.models import (
    Indicator,
    Milestone,
    Participant,
    Photo,
    ProgressUpdate,
    Project,
    TimelineEvent,
)


@register(Project)
class ProjectTranslation(TranslationOptions):
    fields = ("title", "summary", "description")


@register(Milestone)
class MilestoneTranslation(TranslationOptions):
    fields = ("title",)


@register(Indicator)
class IndicatorTranslation(TranslationOptions):
    fields = ("name", "unit")


@register(ProgressUpdate)
class ProgressUpdateTranslation(TranslationOptions):
    fields = ("title", "text")


@register(Photo)
class PhotoTranslation(TranslationOptions):
    fields = ("caption",)


@register(TimelineEvent)
class TimelineEventTranslation(TranslationOptions):
    fields = ("title", "text")


simple_history.register(Project, excluded_fields=["updated_at"])
for model in (Participant, Milestone, Indicator, ProgressUpdate, Photo, TimelineEvent):
    simple_history.register(model)
