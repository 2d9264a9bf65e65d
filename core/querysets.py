"""Querysets built once per process.

Building a queryset (its joins, filters, subqueries and order) costs Django about half a
millisecond for an API list, more than PostgreSQL takes to answer the page of a short one. A list
that every anonymous reader asks for in the same way (the default programme's open-call lists, for
one) is built once per process and each call gets its own copy, as Django REST framework copies a
view's class-level `queryset` for each request: the copy is what is filtered, paged and read,
never the template, so no row is ever kept from one request to the next.

A template is kept per language (a translated field named in a filter or an order is resolved to
one language's column when the queryset is built) and per argument: the arguments must come from a
small fixed set (a flag, a setting's value), never from a request, so the templates stay few.
"""

from collections.abc import Callable, Hashable
from functools import wraps
from typing import Any, TypeVar

from django.db.models import Func, IntegerField, QuerySet, Subquery
from django.utils import translation

Q = TypeVar("Q", bound=QuerySet[Any])


def built_once(build: Callable[..., Q]) -> Callable[..., Q]:
    """`build(*arguments)` once per process, language and arguments; a fresh copy every call."""
    templates: dict[tuple[Hashable, ...], Q] = {}

    @wraps(build)
    def fresh(*arguments: Hashable) -> Q:
        key = (translation.get_language(), *arguments)
        template = templates.get(key)
        if template is None:
            template = templates[key] = build(*arguments)
        return template.all()

    return fresh


def count_of(rows: QuerySet[Any]) -> Subquery:
    """How many `rows` there are (a queryset matched to the outer row by `OuterRef`), counted
    beside each outer row: `(SELECT COUNT(id) … WHERE …)`, 0 (never null) for none. PostgreSQL
    plans it faster than a join grouped by every selected column: the open-call lists' query in
    0.21 ms instead of 0.36 ms on the demo."""
    counted = rows.order_by().annotate(
        count=Func("pk", function="COUNT", output_field=IntegerField())
    )
    return Subquery(counted.values("count"), output_field=IntegerField())
