"""Writes to projects that follow a rule. Admin, API and commands all come through here."""

import datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.exceptions import Conflict
from projects import selectors
from projects.models import Finding, ProgressUpdate, Project
from reference.dates import check_reported_date
from reference.models import Organisation

if TYPE_CHECKING:
    from django.contrib.auth.models import User

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


# Inspections: rectifying a finding and closing it (projects.inspections).


@transaction.atomic
def finding_rectify(
    *, finding: Finding, user: "User", rectification: str, evidence: File[Any] | None = None
) -> Finding:
    """Record what was done about a finding (整改), with its evidence. A closed finding stays as
    it was closed."""
    finding = Finding.objects.select_for_update().get(pk=finding.pk)
    if finding.closed_at is not None:
        raise Conflict(_("This finding is closed; its rectification can no longer change."))
    if not rectification.strip():
        raise ValidationError({"rectification": [_("Say what was done about the finding.")]})
    finding.rectification = rectification
    if evidence is not None:
        finding.evidence = evidence
    finding.rectified_at = timezone.now()
    finding.rectified_by = user
    finding.full_clean()
    finding.save()
    return finding


@transaction.atomic
def finding_close(*, finding: Finding, user: "User") -> Finding:
    """Close a rectified finding: a reviewer who may close findings, and never the person who
    rectified it."""
    finding = Finding.objects.select_for_update().get(pk=finding.pk)
    if not user.has_perm("projects.close_finding"):
        raise PermissionDenied(_("Your staff role does not allow closing findings."))
    if finding.closed_at is not None:
        raise Conflict(_("This finding is already closed."))
    if finding.rectified_at is None:
        raise Conflict(_("A finding is closed once it has been rectified."))
    if finding.rectified_by_id == user.pk:
        raise Conflict(_("You rectified this finding: another reviewer closes it."))
    finding.closed_at = timezone.now()
    finding.closed_by = user
    finding.save(update_fields=["closed_at", "closed_by"])
    return finding
