"""The projects' queues on the staff desk (core.desks): partners' progress updates to publish,
the lifecycle steps waiting for each role (proposers, each side's reviewers, approvers and
the staff who record the work), inspection findings past their deadline, and rectified findings
awaiting closure."""

from typing import TYPE_CHECKING

from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from api.callers import Caller
from core.desks import Item, Queue, alone_in_list, oldest_first
from projects import selectors
from projects.models import Stage, WorkflowStep

if TYPE_CHECKING:
    from django.contrib.auth.models import User
    from django.db.models import QuerySet
    from django_stubs_ext import StrOrPromise

    from projects.models import Project


def queues(user: "User") -> list[Queue]:
    return [*_update_queues(user), *lifecycle_queues(user), *_finding_queues(user)]


def _update_queues(user: "User") -> list[Queue]:
    updates = selectors.partner_updates_awaiting_publication(Caller(user=user))
    if updates is None:
        return []
    count, rows = oldest_first(updates)
    changelist = reverse("admin:projects_progressupdate_changelist")
    return [
        Queue(
            title=_("Partners' progress updates awaiting publication"),
            action=_("read and publish"),
            count=count,
            items=[
                Item(
                    f"{update.project.code} · {update.title}",
                    reverse("admin:projects_progressupdate_change", args=[update.pk]),
                    update.created_at,
                    str(update.organisation),
                )
                for update in rows
            ],
            url=f"{changelist}?{urlencode({'published__exact': 0})}",
        )
    ]


def _project_queue(
    projects: "QuerySet[Project] | None", title: "StrOrPromise", action: "StrOrPromise", stage: str
) -> list[Queue]:
    if projects is None:
        return []
    count, rows = oldest_first(projects)
    changelist = reverse("admin:projects_project_changelist")
    return [
        Queue(
            title=title,
            action=action,
            count=count,
            items=[
                Item(
                    str(project),
                    reverse("admin:projects_project_change", args=[project.pk]),
                    project.waiting_since,  # type: ignore[attr-defined]  # annotated
                )
                for project in rows
            ],
            url=f"{changelist}?{urlencode({'stage__exact': stage})}",
        )
    ]


def lifecycle_queues(user: "User") -> list[Queue]:
    caller = Caller(user=user)
    Side = WorkflowStep.Side
    found = [
        *_project_queue(
            selectors.awaiting_submission(caller),
            _("Proposals to submit for joint review"),
            _("complete and submit, or withdraw"),
            Stage.PROPOSAL,
        ),
        *_project_queue(
            selectors.awaiting_review(caller, Side.DONOR),
            _("Projects awaiting the donor side's review"),
            _("record the donor side's opinion, or return"),
            Stage.REVIEW,
        ),
        *_project_queue(
            selectors.awaiting_review(caller, Side.PARTNER),
            _("Projects awaiting the partner side's review"),
            _("record the partner side's opinion, or return"),
            Stage.REVIEW,
        ),
        *_project_queue(
            selectors.awaiting_approval(caller),
            _("Projects both sides agree to, awaiting approval"),
            _("approve with the document number, or return"),
            Stage.REVIEW,
        ),
        *_project_queue(
            selectors.awaiting_step(caller, Stage.APPROVED),
            _("Approved projects not yet started"),
            _("record the start of work"),
            Stage.APPROVED,
        ),
        *_project_queue(
            selectors.awaiting_step(caller, Stage.COMPLETED),
            _("Completed projects awaiting acceptance"),
            _("record the acceptance, or return"),
            Stage.COMPLETED,
        ),
        *_project_queue(
            selectors.awaiting_step(caller, Stage.ACCEPTED),
            _("Accepted projects awaiting handover"),
            _("record the handover"),
            Stage.ACCEPTED,
        ),
    ]
    adjustments = selectors.adjustments_awaiting_decision(caller)
    if adjustments is not None:
        count, rows = oldest_first(adjustments)
        found.append(
            Queue(
                title=_("Plan adjustments awaiting a decision"),
                action=_("approve or reject"),
                count=count,
                items=[
                    Item(
                        str(adjustment),
                        reverse("admin:projects_planadjustment_change", args=[adjustment.pk]),
                        adjustment.requested_at,
                    )
                    for adjustment in rows
                ],
                url=f"{reverse('admin:projects_planadjustment_changelist')}?"
                f"{urlencode({'status__exact': 'requested'})}",
            )
        )
    return found


def _finding_queues(user: "User") -> list[Queue]:
    caller = Caller(user=user)
    found = []
    changelist = reverse("admin:projects_finding_changelist")
    overdue = selectors.overdue_findings(caller)
    if overdue is not None:
        count, rows = oldest_first(overdue)
        found.append(
            Queue(
                title=_("Inspection findings past their rectification deadline"),
                action=_("record the rectification"),
                count=count,
                items=[
                    Item(
                        f"{finding.inspection.project.code} · {finding.get_severity_display()}",
                        reverse("admin:projects_finding_change", args=[finding.pk]),
                        finding.deadline,
                        finding.text[:80],
                    )
                    for finding in rows
                ],
                url=f"{changelist}?{urlencode({'state': 'overdue'})}",
            )
        )
    rectified = selectors.findings_awaiting_closure(caller)
    if rectified is not None:
        count, rows = oldest_first(rectified)
        found.append(
            Queue(
                title=_("Rectified findings awaiting closure"),
                action=_("check the evidence and close"),
                count=count,
                items=[
                    Item(
                        f"{finding.inspection.project.code} · {finding.get_severity_display()}",
                        alone_in_list("admin:projects_finding_changelist", finding.pk),
                        finding.rectified_at or finding.deadline,
                        finding.text[:80],
                    )
                    for finding in rows
                ],
                url=f"{changelist}?{urlencode({'state': 'rectified'})}",
            )
        )
    return found
