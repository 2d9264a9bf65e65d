"""Education's queue on the staff desk (core.desks): results recorded since their cohort's last
release, for the education staff who release them."""

from typing import TYPE_CHECKING

from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from api.callers import Caller
from core.desks import SHOWN, Item, Queue
from education import selectors

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def queues(user: "User") -> list[Queue]:
    due = selectors.releases_due(Caller(user=user))
    if due is None:
        return []
    release = reverse("admin:education_resultsrelease_add")
    return [
        Queue(
            title=_("Results awaiting release"),
            action=_("review and release"),
            count=len(due),
            items=[
                Item(
                    f"{item.cohort} · {item.exam}",
                    f"{release}?{urlencode({'cohort': item.cohort.pk, 'exam': item.exam.pk})}",
                    item.since,
                    ngettext(
                        "%(count)s result not yet released",
                        "%(count)s results not yet released",
                        item.results,
                    )
                    % {"count": item.results},
                )
                for item in due[:SHOWN]
            ],
            url=reverse("admin:education_resultsrelease_changelist"),
        )
    ]
