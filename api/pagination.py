"""How every list of the API pages. A page size, page number or cursor the caller got wrong is a
400 naming the parameter, never a silent first page or a 404: a sync client that sends a broken
cursor must learn it, not start over without noticing."""

import re
from collections.abc import Sequence
from typing import Any, NoReturn, overload

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from rest_framework import exceptions, pagination
from rest_framework.request import Request
from rest_framework.views import APIView

WHOLE_NUMBER = re.compile(r"[0-9]{1,9}")


def _refuse(parameter: str, message: str) -> NoReturn:
    raise exceptions.ValidationError({parameter: [message]})


class StrictPageSize:
    """`?page_size=` must be a whole number from 1 to the maximum; above it is refused rather
    than quietly cut, so that a caller never mistakes a short page for the end of the list."""

    page_size_query_param = "page_size"
    # Set by each pagination class below; narrower than DRF's, which allows None.
    page_size: int
    max_page_size: int

    def get_page_size(self, request: Request) -> int:
        text = request.query_params.get(self.page_size_query_param)
        if text is None:
            return self.page_size
        if not WHOLE_NUMBER.fullmatch(text) or not 1 <= int(text) <= self.max_page_size:
            _refuse(
                self.page_size_query_param,
                _("Give a whole number from 1 to %(maximum)d.") % {"maximum": self.max_page_size},
            )
        return int(text)

    def get_schema_operation_parameters(self, view: APIView) -> list[dict[str, Any]]:
        # Mixed in before a DRF paginator, whose method this extends: mypy sees only `object`.
        parameters: list[dict[str, Any]] = super().get_schema_operation_parameters(view)  # type: ignore[misc]  # see above
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": self.max_page_size,
                }
        return parameters


# StrictPageSize narrows DRF's page-size settings (never None here).
class PageNumberPagination(StrictPageSize, pagination.PageNumberPagination):  # type: ignore[misc]  # see above
    """Page numbers for small lists, with a caller-chosen page size up to 100."""

    page_size = 20
    max_page_size = 100

    def get_page_number(self, request: Request, paginator: Paginator[Any]) -> int | str:
        text = request.query_params.get(self.page_query_param)
        if text is None:
            return 1
        if text in self.last_page_strings:
            return paginator.num_pages
        if not WHOLE_NUMBER.fullmatch(text) or int(text) < 1:
            _refuse(self.page_query_param, _("Give a page number from 1 up."))
        if int(text) > paginator.num_pages:
            _refuse(
                self.page_query_param,
                _("There is no page %(page)s: the last page is %(last)d.")
                % {"page": text, "last": paginator.num_pages},
            )
        return int(text)

    def get_schema_operation_parameters(self, view: APIView) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1}
        return parameters


# StrictPageSize narrows DRF's page-size settings (never None here).
class CursorPagination(StrictPageSize, pagination.CursorPagination):  # type: ignore[misc]  # see above
    """Cursor pages whose cursor must be one the API gave out."""

    def invalid_cursor(self) -> NoReturn:
        _refuse(
            self.cursor_query_param,
            _("This cursor is not one the API gave out: follow the `next` link as it is."),
        )

    def decode_cursor(self, request: Request) -> pagination.Cursor | None:
        try:
            cursor = super().decode_cursor(request)
        except exceptions.NotFound:
            self.invalid_cursor()
        if cursor is not None and cursor.position is not None:
            # DRF's cursors carry the position as text; the stubs say int.
            self.check_position(cursor.position)  # type: ignore[arg-type]  # see above
        return cursor

    def check_position(self, position: str) -> None:
        """Refuse a position that cannot be a value of the first ordering field."""


class UpdatedCursorPagination(CursorPagination):
    """Cursor pages over (updated_at, id), oldest change first: a sync client keeps the last
    `next` link, or the newest `updated_at` it saw for `?updated_since=`. No COUNT(*) is run."""

    ordering = ("updated_at", "id")
    page_size = 50
    max_page_size = 200

    def check_position(self, position: str) -> None:
        try:
            valid = parse_datetime(position) is not None
        except ValueError:
            valid = False
        if not valid:
            self.invalid_cursor()


class CountedRows(Sequence[dict[str, Any]]):
    """What a numbered page is cut from when a list reads columns (`.values()`): the count is
    the queryset's own, without the joins the columns need, and a page is read as dicts."""

    def __init__(self, queryset: QuerySet[Any], columns: Sequence[str]) -> None:
        self.queryset = queryset
        self.columns = columns
        self.ordered = queryset.ordered

    def count(self) -> int:  # type: ignore[override]  # Paginator asks for the count so, no value
        return self.queryset.count()

    def __len__(self) -> int:
        return self.count()

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...

    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...

    def __getitem__(self, index: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        rows = self.queryset.values(*self.columns)
        if isinstance(index, slice):
            return list(rows[index])
        row: dict[str, Any] = rows[index]
        return row
