"""The staff desk (工作台): what waits for the signed-in member of staff, and nothing else.

Each app contributes its queues in a `desk` module, found by `core.registry.app_modules`, whose
`queues(user)` returns a `Queue` for every kind of work that user may act on (an empty one
included, so the desk says the work is done) and none for work they may not. A queue's items
come from the app's selectors, oldest first, each linked to the page where it is acted on; its
count and first items are read in one query (`oldest_first`).
"""

import datetime
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from django.contrib import admin
from django.db.models import Count, Model, QuerySet, Window
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from core.registry import app_modules

if TYPE_CHECKING:
    from django.contrib.auth.models import User
    from django_stubs_ext import StrOrPromise

M = TypeVar("M", bound=Model)

# Items listed per queue; the rest are a click away in the admin's list.
SHOWN = 10
# The annotation that carries a queue's count on each of its rows.
TOTAL = "desk_total"


@dataclass(frozen=True)
class Item:
    label: str
    url: str
    # When it started waiting: the desk lists the oldest first.
    since: datetime.date | datetime.datetime
    detail: str = ""


@dataclass(frozen=True)
class Queue:
    title: "StrOrPromise"
    # What the user does with an item, on the page its link opens.
    action: "StrOrPromise"
    count: int
    items: list[Item]
    # The whole queue, or the admin list it is part of.
    url: str

    @property
    def more(self) -> int:
        return self.count - len(self.items)


def alone_in_list(changelist: str, pk: int) -> str:
    """A record alone in its admin list, where its actions (approve, publish, close...) are."""
    return f"{reverse(changelist)}?{urlencode({'id__exact': pk})}"


def oldest_first(queryset: QuerySet[M], limit: int = SHOWN) -> tuple[int, list[M]]:
    """The first `limit` rows of an ordered queryset and how many there are, in one query: the
    count is a window over every matching row, computed before the LIMIT."""
    rows = list(queryset.annotate(**{TOTAL: Window(Count("pk"))})[:limit])
    return (int(getattr(rows[0], TOTAL)) if rows else 0), rows


def queue(
    rows: "QuerySet[M] | None",
    *,
    title: "StrOrPromise",
    action: "StrOrPromise",
    url: str,
    item: Callable[[M], Item],
) -> list[Queue]:
    """The queue of what a selector gives, oldest first, each row shown as `item` makes it: a
    list of one queue, or none when the selector answered None (the user may not act on it)."""
    if rows is None:
        return []
    count, shown = oldest_first(rows)
    return [
        Queue(title=title, action=action, count=count, items=[item(row) for row in shown], url=url)
    ]


def queues_for(user: "User") -> list[Queue]:
    """Every queue this user may act on, in INSTALLED_APPS order."""
    found: list[Queue] = []
    for module in app_modules("desk"):
        found.extend(module.queues(user))
    return found


def waiting(queues: Sequence[Queue]) -> int:
    return sum(queue.count for queue in queues)


def desk_view(request: HttpRequest) -> HttpResponse:
    """The desk page beside the admin index (wrapped in the admin site's own view guard)."""
    user: User = request.user  # type: ignore[assignment]  # the admin guard lets in staff only
    queues = queues_for(user)
    context = {
        **admin.site.each_context(request),
        "title": _("Desk"),
        "subtitle": None,
        "queues": queues,
        "waiting": waiting(queues),
    }
    return TemplateResponse(request, "admin/desk.html", context)
