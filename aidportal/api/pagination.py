from rest_framework import pagination


class PageNumberPagination(pagination.PageNumberPagination):
    """Page numbers for small lists, with a caller-chosen page size capped at 100."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
