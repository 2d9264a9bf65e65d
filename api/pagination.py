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

    def paginate_queryset(
        self, queryset: Any, request: Request, view: APIView | None = None
    ) -> list[Any] | None:
        if isinstance(queryset, QuerySet):
            queryset = CountedRows(queryset)
        if isinstance(queryset, CountedRows):
            # The page asked for is read first: a last page tells the count.
            text = request.query_params.get(self.page_query_param, "1")
            if WHOLE_NUMBER.fullmatch(text) and int(text) >= 1:
                page_size = self.get_page_size(request)
                queryset.read_ahead((int(text) - 1) * page_size, page_size)
        return super().paginate_queryset(queryset, request, view)

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


class CountedRows(Sequence[Any]):
    """What a numbered page is cut from: a queryset, read as model instances or, when a list
    names its columns, as dicts (`.values()`), and counted only when its page cannot tell.

    Django's Paginator counts first (one query), then reads the page (another). When the
    pagination knows which page it will cut (`read_ahead`), the page is read first: a page
    shorter than the page size is the list's last when it holds a row or is the first page, so
    the list has as many rows as come before it and on it, and no COUNT is run. That is every page
    of a list shorter than a page, and the last page of any list. A full page, or a page past
    the end, is counted as before. (A window count beside each row would read the page in one
    query too, but makes the database number every row of the list before it can cut a page:
    30 times slower at 100,000 projects.)"""

    def __init__(self, queryset: QuerySet[Any], columns: Sequence[str] | None = None) -> None:
        self.queryset = queryset
        self.columns = columns
        self.ordered = queryset.ordered
        self._count: int | None = None
        self._ahead: tuple[int, list[Any]] | None = None

    def _rows(self) -> QuerySet[Any]:
        return self.queryset if self.columns is None else self.queryset.values(*self.columns)

    def read_ahead(self, offset: int, limit: int) -> None:
        """Read the `limit` rows from `offset` now, and the count when they tell it."""
        rows = list(self._rows()[offset : offset + limit])
        self._ahead = (offset, rows)
        if len(rows) < limit and (rows or offset == 0):
            self._count = offset + len(rows)

    def count(self) -> int:  # type: ignore[override]  # Paginator asks for the count so, no value
        if self._count is None:
            self._count = self.queryset.count()
        return self._count

    def __len__(self) -> int:
        return self.count()

    @overload
    def __getitem__(self, index: int) -> Any: ...

    @overload
    def __getitem__(self, index: slice) -> list[Any]: ...

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice) and self._ahead is not None and index.step is None:
            offset, rows = self._ahead
            if index.start == offset and index.stop is not None:
                return rows[: max(index.stop - offset, 0)]
        if isinstance(index, slice):
            return list(self._rows()[index])
        return self._rows()[index]
