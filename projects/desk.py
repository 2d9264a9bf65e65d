"""The projects' queues on the staff desk (core.desks): partners' progress updates to publish,
the lifecycle steps waiting for each role (proposers, each side's reviewers, approvers and
the staff who record the work), inspection findings past their deadline, and rectified findings
awaiting closure."""

from typing import TYPE_CHECKING

from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from api.callers import Caller
from core.desks import Item, Queue, alone_in_list, queue
from projects import selectors
from projects.models import Stage, WorkflowStep

if TYPE_CHECKING:
    from django.contrib.auth.models import User
    from django.db.models import QuerySet
    from django_stubs_ext import StrOrPromise

    from projects.inspections import Finding
    from projects.models import Project


def queues(user: "User") -> list[Queue]:
    caller = Caller(user=user)
    return [
        *queue(
            selectors.partner_updates_awaiting_publication(caller),
            title=_("Partners' progress updates awaiting publication"),
            action=_("read and publish"),
            url=f"{reverse('admin:projects_progressupdate_changelist')}?"
            f"{urlencode({'published__exact': 0})}",
            item=lambda update: Item(
                f"{update.project.code} · {update.title}",
                reverse("admin:projects_progressupdate_change", args=[update.pk]),
                update.created_at,
                str(update.organisation),
            ),
        ),
        *lifecycle_queues(caller),
        *finding_queues(caller),
    ]


def _waiting_project(project: "Project") -> Item:
    return Item(
        str(project),
        reverse("admin:projects_project_change", args=[project.pk]),
        project.waiting_since,  # type: ignore[attr-defined]  # annotated by the selector
    )


def _stage_url(stage: str) -> str:
    return f"{reverse('admin:projects_project_changelist')}?{urlencode({'stage__exact': stage})}"


def lifecycle_queues(caller: Caller) -> list[Queue]:
    """The lifecycle steps waiting for each role: proposers, each side's reviewers, approvers
    and the staff who record the work; and plan adjustments to decide."""
    Side = WorkflowStep.Side
    steps: list[tuple[QuerySet[Project] | None, StrOrPromise, StrOrPromise, str]] = [
        (
            selectors.awaiting_submission(caller),
            _("Proposals to submit for joint review"),
            _("complete and submit, or withdraw"),
            Stage.PROPOSAL,
        ),
        (
            selectors.awaiting_review(caller, Side.DONOR),
            _("Projects awaiting the donor side's review"),
            _("record the donor side's opinion, or return"),
            Stage.REVIEW,
        ),
        (
            selectors.awaiting_review(caller, Side.PARTNER),
            _("Projects awaiting the partner side's review"),
            _("record the partner side's opinion, or return"),
            Stage.REVIEW,
        ),
        (
            selectors.awaiting_approval(caller),
            _("Projects both sides agree to, awaiting approval"),
            _("approve with the document number, or return"),
            Stage.REVIEW,
        ),
        (
            selectors.awaiting_step(caller, Stage.APPROVED),
            _("Approved projects not yet started"),
            _("record the start of work"),
            Stage.APPROVED,
        ),
        (
            selectors.awaiting_step(caller, Stage.COMPLETED),
            _("Completed projects awaiting acceptance"),
            _("record the acceptance, or return"),
            Stage.COMPLETED,
        ),
        (
            selectors.awaiting_step(caller, Stage.ACCEPTED),
            _("Accepted projects awaiting handover"),
            _("record the handover"),
            Stage.ACCEPTED,
        ),
    ]
    found = [
        waiting
        for rows, title, action, stage in steps
        for waiting in queue(
            rows,
            title=title,
            action=action,
            url=_stage_url(stage),
            item=_waiting_project,
        )
    ]
    return [
        *found,
        *queue(
            selectors.adjustments_awaiting_decision(caller),
            title=_("Plan adjustments awaiting a decision"),
            action=_("approve or reject"),
            url=f"{reverse('admin:projects_planadjustment_changelist')}?"
            f"{urlencode({'status__exact': 'requested'})}",
            item=lambda adjustment: Item(
                str(adjustment),
                reverse("admin:projects_planadjustment_change", args=[adjustment.pk]),
                adjustment.requested_at,
            ),
        ),
    ]


def _finding_label(finding: "Finding") -> str:
    return f"{finding.inspection.project.code} · {finding.get_severity_display()}"


def finding_queues(caller: Caller) -> list[Queue]:
    """Inspection findings past their deadline, and rectified ones awaiting closure."""
    changelist = reverse("admin:projects_finding_changelist")
    return [
        *queue(
            selectors.overdue_findings(caller),
            title=_("Inspection findings past their rectification deadline"),
            action=_("record the rectification"),
            url=f"{changelist}?{urlencode({'state': 'overdue'})}",
            item=lambda finding: Item(
                _finding_label(finding),
                reverse("admin:projects_finding_change", args=[finding.pk]),
                finding.deadline,
                finding.text[:80],
            ),
        ),
        *queue(
            selectors.findings_awaiting_closure(caller),
            title=_("Rectified findings awaiting closure"),
            action=_("check the evidence and close"),
            url=f"{changelist}?{urlencode({'state': 'rectified'})}",
            item=lambda finding: Item(
                _finding_label(finding),
                alone_in_list("admin:projects_finding_changelist", finding.pk),
                finding.rectified_at or finding.deadline,
                finding.text[:80],
            ),
        ),
    ]
