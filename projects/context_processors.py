"""What every public page's frame needs: when the data last changed, for the footer."""

from projects import selectors


def data_as_of(request) -> dict:
    # A callable: the query runs only when a template shows the date (not on admin pages).
    return {"data_as_of": selectors.data_as_of}
