"""The projects' queues on the staff desk (core.desks): partners' progress updates to publish,
inspection findings past their deadline, and rectified findings awaiting closure."""

from typing import TYPE_CHECKING

from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from api.callers import Caller
from core.desks import Item, Queue, alone_in_list, oldest_first
from projects import selectors

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def queues(user: "User") -> list[Queue]:
    return [*_update_queues(user), *_finding_queues(user)]


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
