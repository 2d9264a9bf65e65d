"""The change feed's public records of this app (changes.records)."""

from django.urls import reverse

from changes.records import POSTED, Record
from projects.models import (
    Indicator,
    Milestone,
    Participant,
    Photo,
    ProgressUpdate,
    Project,
    TimelineEvent,
    WorkflowStep,
)


def project_path(project: Project) -> str:
    return reverse("api:project-detail", kwargs={"code": project.code})


def participants(project: Project) -> list[int]:
    """An unpublished project is its participating organisations' business."""
    return list(project.participants.values_list("organisation_id", flat=True))


def _part(name: str, model) -> Record:
    """A part of a project (milestone, indicator...): public with its project, at its address."""
    return Record(
        model,
        name,
        path=lambda part: project_path(part.project),
        published=lambda part: part.project.published,
        organisations=lambda part: participants(part.project),
    )


# A lifecycle step is only ever taken, never changed: `projects.lifecycle` records its event.
WORKFLOW_STEP = Record(
    WorkflowStep,
    "workflow_step",
    path=lambda step: reverse("api:project-workflow", kwargs={"code": step.project.code}),
    published=lambda step: step.project.published,
    organisations=lambda step: participants(step.project),
    types=(POSTED,),
)

RECORDS = [
    Record(
        Project,
        "project",
        path=project_path,
        published=lambda project: project.published,
        organisations=participants,
    ),
    _part("participant", Participant),
    _part("milestone", Milestone),
    _part("indicator", Indicator),
    _part("photo", Photo),
    Record(
        ProgressUpdate,
        "update",
        path=lambda update: reverse("api:progress-update-detail", kwargs={"pk": update.pk}),
        published=lambda update: update.published and update.project.published,
        organisations=lambda update: [update.organisation_id] if update.organisation_id else [],
    ),
    Record(
        TimelineEvent,
        "timeline_event",
        path=lambda event: reverse("api:timeline-event-detail", kwargs={"pk": event.pk}),
        published=lambda event: event.published,
    ),
    WORKFLOW_STEP,
]
