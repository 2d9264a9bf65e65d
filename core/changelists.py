"""Change lists that cost the same at a thousand rows and at a million: a paginator that counts
only as far as it must, and a search each of whose fields can use its trigram index
(core/trigram.py).

Django's admin counts the whole filtered list for its paginator, and again the whole table for
"N total" beside a search; over a million ledger entries each COUNT(*) reads every row. A
search over a relation (`project__code`) is an OR across a join, which PostgreSQL answers by
reading both tables whole.
"""

import datetime
import json
from typing import TYPE_CHECKING, Any, Literal

from django import forms
from django.contrib.admin import helpers
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import quote, unquote
from django.contrib.admin.views.main import ChangeList
from django.contrib.postgres.expressions import ArraySubquery
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import (
    BooleanField,
    F,
    Field,
    ForeignKey,
    Func,
    Max,
    Min,
    Model,
    Q,
    QuerySet,
)
from django.db.models.constants import LOOKUP_SEP
from django.forms.renderers import BaseRenderer
from django.forms.utils import ErrorList
from django.http import HttpRequest
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import smart_split, unescape_string_literal
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from django.contrib import admin

    ModelAdmin = admin.ModelAdmin[Any]
else:
    from django.contrib.admin import ModelAdmin


class EqualsAny(Func):
    """`column = ANY(array)`: unlike `IN (subquery)`, a lookup PostgreSQL serves from the
    column's index, and can join to other indexed conditions in a bitmap OR."""

    arg_joiner = " = ANY("
    template = "%(expressions)s)"
    output_field = BooleanField()


class EstimatedCountPaginator(Paginator):  # type: ignore[type-arg]
    """Counts exactly up to `exact_up_to` rows, reading no more than that many; above it, on
    PostgreSQL, takes the planner's estimate of the rows, as the list's size is then only a guide
    to how many pages there are."""

    exact_up_to = 10_000

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if not isinstance(queryset, QuerySet):
            return len(queryset)
        bounded = queryset.order_by().values("pk")[: self.exact_up_to + 1].count()
        if bounded <= self.exact_up_to or connections[queryset.db].vendor != "postgresql":
            return bounded if bounded <= self.exact_up_to else queryset.count()
        # Only the rows' number matters: no joins for the planner to weigh.
        plan = json.loads(queryset.order_by().values("pk").explain(format="json"))
        return max(int(plan[0]["Plan"]["Plan Rows"]), self.exact_up_to + 1)


class IndexedDates(QuerySet[Any]):
    """`dates()` for the admin's date hierarchy without `SELECT DISTINCT DATE_TRUNC(…)` over
    every row: the first and last dates (the ends of the column's index), then one EXISTS per
    year, month or day between them, each a range probe of that index."""

    def dates(
        self,
        field_name: str,
        kind: Literal["year", "month", "week", "day"],
        order: Literal["ASC", "DESC"] = "ASC",
    ) -> Any:
        if kind not in ("year", "month", "day") or order != "ASC":
            return super().dates(field_name, kind, order)
        bounds = self.aggregate(first=Min(field_name), last=Max(field_name))
        if bounds["first"] is None:
            return []
        present = []
        start = _truncate(bounds["first"], kind)
        while start <= bounds["last"]:
            end = _next(start, kind)
            range_lookup = {f"{field_name}__gte": start, f"{field_name}__lt": end}
            # Ordered, so the probe walks the index from the range's start: rows are stored in
            # date order, and a sequential scan would read every earlier year first.
            probe = self.filter(**range_lookup).order_by(field_name).values_list(field_name)
            if probe[:1]:
                present.append(start)
            start = end
        return present


def _truncate(day: datetime.date, kind: str) -> datetime.date:
    if kind == "year":
        return day.replace(month=1, day=1)
    if kind == "month":
        return day.replace(day=1)
    return day


def _next(start: datetime.date, kind: str) -> datetime.date:
    if kind == "year":
        return start.replace(year=start.year + 1)
    if kind == "month":
        return (start + datetime.timedelta(days=32)).replace(day=1)
    return start + datetime.timedelta(days=1)


def with_indexed_dates(queryset: QuerySet[Any]) -> QuerySet[Any]:
    """The queryset, its class extended with `IndexedDates` (kept by every clone)."""
    base = type(queryset)
    if not issubclass(base, IndexedDates):
        if base not in _INDEXED:
            _INDEXED[base] = type(f"IndexedDates{base.__name__}", (IndexedDates, base), {})
        queryset.__class__ = _INDEXED[base]
    return queryset


_INDEXED: dict[type, type] = {}


class InputWithoutTemplate(forms.Widget):
    """Writes what Django's `input.html` writes (and `checkbox.html` and `hidden.html`, which
    include it) without the template engine. A change list draws an input per row and
    editable column (and its hidden key); looking up, filling and rendering the template cost
    several times what the input itself does, once per row. (The action checkbox, the same
    for every list, is written directly: `LargeListAdmin.action_checkbox`.)"""

    def _render(
        self, template_name: str, context: dict[str, Any], renderer: BaseRenderer | None = None
    ) -> SafeString:
        widget = context["widget"]
        value = "" if widget["value"] is None else format_html(' value="{}"', widget["value"])
        attributes = format_html_join(
            "",
            " {}{}",
            (
                (name, "" if setting is True else format_html('="{}"', setting))
                for name, setting in widget["attrs"].items()
                if setting is not False
            ),
        )
        return format_html(
            '<input type="{}" name="{}"{}{}>', widget["type"], widget["name"], value, attributes
        )


class CheckboxWithoutTemplate(InputWithoutTemplate, forms.CheckboxInput):
    pass


class HiddenWithoutTemplate(InputWithoutTemplate, forms.HiddenInput):
    pass


WITHOUT_TEMPLATE: dict[type[forms.Widget], type[forms.Widget]] = {
    forms.CheckboxInput: CheckboxWithoutTemplate,
    forms.HiddenInput: HiddenWithoutTemplate,
}


class RowErrorList(ErrorList):
    """A row's errors, written only when there are some: the empty list's template writes
    nothing, but costs a template render per row and editable column."""

    def render(self, *args: Any, **kwargs: Any) -> SafeString:
        return super().render(*args, **kwargs) if self.data else mark_safe("")


class RowFormSet(forms.BaseModelFormSet):  # type: ignore[type-arg]  # generic only in stubs
    """The change list's editable rows, their plain inputs written without templates."""

    def add_fields(self, form: "forms.ModelForm[Any]", index: int | None) -> None:
        super().add_fields(form, index)
        form.error_class = RowErrorList
        for field in form.fields.values():
            faster = WITHOUT_TEMPLATE.get(type(field.widget))
            if faster is not None:
                # The same widget, its attributes and checks kept; only its writing differs.
                field.widget.__class__ = faster


CURSOR_VAR = "after"


class LargeListChangeList(ChangeList):
    """A change list whose pages, in the admin's `keyset` order, follow a cursor: the key of
    the last row shown, from which the next page is an index seek, as cheap deep in the list
    as on its first page (a numbered page is an OFFSET: PostgreSQL reads and drops every row
    before it, seconds for the last pages of a million rows). In any other order, numbered
    pages as Django draws them."""

    cursor: str | None = None
    next_cursor: str | None = None

    def get_queryset(self, request: HttpRequest, exclude_parameters: Any = None) -> Any:
        # A cursor belongs to the page shown: links that filter, search or sort start over.
        self.cursor = request.GET.get(CURSOR_VAR) or None
        self.params.pop(CURSOR_VAR, None)
        self.filter_params.pop(CURSOR_VAR, None)
        return with_indexed_dates(super().get_queryset(request, exclude_parameters))

    @cached_property
    def keyset(self) -> tuple[str, ...] | None:
        """The admin's keyset, when the list is in its order; None for numbered pages."""
        keyset: tuple[str, ...] | None = getattr(self.model_admin, "keyset", None)
        # Django may name a column twice (`code, code`); the order is the same.
        ordering = tuple(dict.fromkeys(self.queryset.query.order_by))
        if keyset is None or ordering != keyset:
            return None
        return keyset

    def get_results(self, request: HttpRequest) -> None:
        if self.keyset is None:
            if self.cursor is not None:
                raise IncorrectLookupParameters(CURSOR_VAR)
            super().get_results(request)
            return
        paginator = self.model_admin.get_paginator(request, self.queryset, self.list_per_page)
        # A queryset, as the editable rows' formset needs; read here, so its rows are cached.
        page = self._after(self.queryset, self.cursor)[: self.list_per_page]
        rows = list(page)
        if len(rows) == self.list_per_page:
            last = self._cursor_of(rows[-1])
            if self._after(self.queryset, last).exists():
                self.next_cursor = last
        self.result_list = page
        self.result_count = paginator.count
        self.show_full_result_count = False
        self.show_admin_actions = True
        self.full_result_count = None
        self.can_show_all = False
        self.multi_page = self.cursor is not None or self.next_cursor is not None
        self.paginator = paginator
        self.page_num = 1  # numbered pages do not apply

    def _after(self, queryset: QuerySet[Any], cursor: str | None) -> QuerySet[Any]:
        """The rows after the cursor's in keyset order, `(a, b, …)` beyond the cursor's values:
        `a` beyond, or `a` equal and `b` beyond, and so on; with a redundant bound on `a` so
        that PostgreSQL seeks the index of `a` there."""
        if cursor is None:
            return queryset
        assert self.keyset is not None
        names = [name.lstrip("-") for name in self.keyset]
        beyond = "lt" if self.keyset[0].startswith("-") else "gt"
        texts = cursor.split(",")
        if len(texts) != len(names):
            raise IncorrectLookupParameters(CURSOR_VAR)
        try:
            values = [
                field.to_python(unquote(text))
                for (field, _path), text in zip(self._key_fields(), texts, strict=True)
            ]
        except ValidationError as error:
            raise IncorrectLookupParameters(error) from error
        if any(value is None for value in values):
            raise IncorrectLookupParameters(CURSOR_VAR)
        equal: dict[str, Any] = {}
        beyond_cursor = Q()
        for name, value in zip(names, values, strict=True):
            beyond_cursor |= Q(**equal, **{f"{name}__{beyond}": value})
            equal[name] = value
        return queryset.filter(Q(**{f"{names[0]}__{beyond}e": values[0]}), beyond_cursor)

    def _key_fields(self) -> list[tuple[Field[Any, Any], list[str]]]:
        """Each keyset column's field, and the relations from a row to the record holding it."""
        assert self.keyset is not None
        found = []
        for name in self.keyset:
            opts, path = self.opts, name.lstrip("-").split(LOOKUP_SEP)
            for relation in path[:-1]:
                related = opts.get_field(relation).related_model
                assert isinstance(related, type), "a keyset follows foreign keys"
                opts = related._meta
            field = opts.pk if path[-1] == "pk" else opts.get_field(path[-1])
            assert isinstance(field, Field) and not field.is_relation, "a keyset ends on a column"
            found.append((field, path[:-1]))
        return found

    def _cursor_of(self, row: Model) -> str:
        """The row's keyset values, each quoted as the admin quotes keys in its URLs (a comma
        becomes `_2C`), joined by commas."""
        texts = []
        for field, path in self._key_fields():
            holder = row
            for relation in path:
                holder = getattr(holder, relation)
            texts.append(quote(field.value_to_string(holder)))
        return ",".join(texts)

    def next_url(self) -> str:
        return self.get_query_string({CURSOR_VAR: self.next_cursor})

    def first_url(self) -> str:
        return self.get_query_string(remove=[CURSOR_VAR])

    def url_for_result(self, result: Model) -> str:
        # Asked once for each linked column of a row: reversed once.
        urls: dict[Any, str] = self.__dict__.setdefault("_result_urls", {})
        if result.pk not in urls:
            urls[result.pk] = super().url_for_result(result)
        return urls[result.pk]


class LargeListAdmin(ModelAdmin):
    """A change list over a table that grows without bound: estimated counts above ten thousand
    rows, no whole-table count beside a search or filter, and a search whose terms reach related
    records through `<foreign key> = ANY(ARRAY(SELECT id …))`, which PostgreSQL combines with
    the other fields' indexes in one bitmap scan.

    Search fields are plain fields, or one relation deep (`project__code`), matched with
    `icontains` as Django's admin does; terms are split the same way and must all match."""

    paginator = EstimatedCountPaginator
    show_full_result_count = False
    # Fifty rows make a page staff read without scrolling far; each row costs its rendering.
    list_per_page = 50
    # The list's whole ordering, every column in one direction and the last ones unique
    # together, when indexes serve it: `("code",)`; `("-pk",)` for a model without an ordering
    # of its own, which Django lists newest first; `("-date", "-id")` for an index on
    # `(date, id)`; `("project__code", "id")` through a foreign key (`id`: Django does not
    # take `pk` for a total ordering and would add `-pk`). Pages in that order follow a cursor
    # (`LargeListChangeList`). None: numbered pages.
    keyset: tuple[str, ...] | None = None

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return LargeListChangeList

    def get_changelist_formset(self, request: HttpRequest, **kwargs: Any) -> Any:
        return super().get_changelist_formset(request, formset=RowFormSet, **kwargs)

    def action_checkbox(self, obj: Model) -> SafeString:
        """Django's action checkbox, the same input, written without a widget or template."""
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME,
            str(obj.pk),
            format_html(_("Select this object for an action - {}"), str(obj)),
        )

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        if not (search_term and self.get_search_fields(request)):
            return queryset, False
        found = self.search_matches(request, queryset, search_term)
        if found is None:
            return super().get_search_results(request, queryset, search_term)
        bound = EstimatedCountPaginator.exact_up_to
        ids = list(found.order_by().values_list("pk", flat=True)[: bound + 1])
        if len(ids) > bound:
            return found, False
        # A few matches by primary key: the count, the page, the date hierarchy and the totals
        # then read those rows, where the planner would otherwise walk an index of every row.
        return queryset.filter(pk__in=ids), False

    def search_matches(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> QuerySet[Any] | None:
        """The rows matching every term, each term on any search field, each field by its own
        index; None where the fields or the database do not allow it."""
        fields = self._indexed_search_fields(request, queryset.model)
        if fields is None or connections[queryset.db].vendor != "postgresql":
            return None
        own, related = fields
        for bit in smart_split(search_term):
            if bit.startswith(('"', "'")) and bit[0] == bit[-1]:
                bit = unescape_string_literal(bit)
            queryset = queryset.filter(self._term_query(own, related, bit))
        return queryset

    def _indexed_search_fields(
        self, request: HttpRequest, model: type[Model]
    ) -> tuple[list[str], dict[ForeignKey[Any, Any], list[str]]] | None:
        """The model's own search fields and, per foreign key, the related ones; None when a
        field is searched otherwise (a prefix such as `^`, or a deeper or reverse relation)."""
        own: list[str] = []
        related: dict[ForeignKey[Any, Any], list[str]] = {}
        for spec in self.get_search_fields(request):
            relation, _, field = str(spec).rpartition(LOOKUP_SEP)
            if field[:1] in ("^", "=", "@") or LOOKUP_SEP in relation:
                return None
            if not relation:
                own.append(field)
                continue
            foreign_key = model._meta.get_field(relation)
            if not isinstance(foreign_key, ForeignKey):
                return None
            related.setdefault(foreign_key, []).append(field)
        return own, related

    @staticmethod
    def _term_query(own: list[str], related: dict[ForeignKey[Any, Any], list[str]], bit: str) -> Q:
        query = Q.create([(f"{field}__icontains", bit) for field in own], connector=Q.OR)
        for foreign_key, fields in related.items():
            matching = (
                foreign_key.related_model._default_manager.filter(
                    Q.create([(f"{field}__icontains", bit) for field in fields], connector=Q.OR)
                )
                .order_by()
                .values("pk")
            )
            query |= Q(EqualsAny(F(foreign_key.attname), ArraySubquery(matching)))
        return query
