from rest_framework import pagination


class PageNumberPagination(pagination.PageNumberPagination):
    """Page numbers for small lists, with a caller-chosen page size capped at 100."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100


class UpdatedCursorPagination(pagination.CursorPagination):
    """Cursor pages over (updated_at, id), oldest change first: a sync client keeps the last
    `next` link, or the newest `updated_at` it saw for `?updated_since=`. No COUNT(*) is run."""

    ordering = ("updated_at", "id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
