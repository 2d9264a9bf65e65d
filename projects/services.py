"""Writes to projects that follow a rule. Admin, API and commands all come through here."""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext as _

from core.exceptions import Conflict
from projects import selectors
from projects.models import ProgressUpdate, Project
from reference.dates import check_reported_date
from reference.models import Organisation

UPDATE_FIELDS = ("date", "title_zh_hans", "title_en", "text_zh_hans", "text_en", "published")


def _check_update_rules(*, update: ProgressUpdate, organisation: Organisation | None) -> None:
    errors = {}
    if organisation is not None:
        if not selectors.takes_part(project=update.project, organisation_id=organisation.pk):
            errors["project"] = [_("Your organisation does not take part in this project.")]
        if update.published:
            errors["published"] = [_("Programme staff publish partner updates after review.")]
    try:
        check_reported_date(update.date, programme=update.project.programme)
    except ValidationError as error:
        errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)


def _save(update: ProgressUpdate) -> ProgressUpdate:
    # The untranslated column mirrors the active language at save: keep it the default one.
    with translation.override(settings.LANGUAGE_CODE):
        update.full_clean()
        try:
            with transaction.atomic():
                update.save()
        except IntegrityError:
            # A concurrent twin passed full_clean at the same moment; the constraint caught it.
            raise ValidationError(
                {"title": [_("This project already has an update with this date and title.")]}
            ) from None
    return update


@transaction.atomic
def progress_update_submit(
    *,
    project: Project,
    organisation: Organisation | None,
    date: datetime.date,
    title_zh_hans: str,
    title_en: str = "",
    text_zh_hans: str = "",
    text_en: str = "",
    published: bool = False,
) -> ProgressUpdate:
    """Report progress on a project. A partner organisation reports only on projects it takes
    part in, and its updates stay unpublished until programme staff publish them."""
    update = ProgressUpdate(
        project=project,
        organisation=organisation,
        date=date,
        title_zh_hans=title_zh_hans,
        title_en=title_en or None,
        text_zh_hans=text_zh_hans,
        text_en=text_en or None,
        published=published,
    )
    _check_update_rules(update=update, organisation=organisation)
    return _save(update)


@transaction.atomic
def progress_update_change(
    *, update: ProgressUpdate, organisation: Organisation | None, **changes: object
) -> ProgressUpdate:
    """Change an update. A partner changes only its own, and only until it is published."""
    if organisation is not None and update.published:
        raise Conflict(_("This update is published; ask programme staff to change it."))
    unknown = set(changes) - set(UPDATE_FIELDS)
    if unknown:
        raise ValidationError({name: [_("This field cannot be changed.")] for name in unknown})
    for name, value in changes.items():
        if name.endswith("_en") and value == "":
            value = None
        setattr(update, name, value)
    _check_update_rules(update=update, organisation=organisation)
    return _save(update)


@transaction.atomic
def progress_update_withdraw(*, update: ProgressUpdate, organisation: Organisation | None) -> None:
    """Delete an update. A partner withdraws only its own unpublished updates."""
    if organisation is not None and update.published:
        raise Conflict(_("This update is published; ask programme staff to withdraw it."))
    update.delete()
