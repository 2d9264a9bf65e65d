"""The projects' queue on the staff desk (core.desks): partners' progress updates to publish."""

from typing import TYPE_CHECKING

from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from api.callers import Caller
from core.desks import Item, Queue, oldest_first
from projects import selectors

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def queues(user: "User") -> list[Queue]:
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
