"""What every public page's frame needs: when the data last changed, for the footer."""

from functools import partial

from projects import caching


def data_as_of(request) -> dict:
    # A callable: the query runs only when a template shows the date (not on admin pages), and
    # once per request, shared with the page's ETag.
    return {"data_as_of": partial(caching.data_version, request)}
