"""What every public page's frame needs: when the data last changed, for the footer; the
programme the header names and the footer's publisher, contact and filing number."""

from functools import partial

from django.conf import settings
from django.utils.functional import SimpleLazyObject

from projects import caching
from reference import selectors as reference_selectors


def data_as_of(request) -> dict:
    # A callable: the query runs only when a template shows the date (not on admin pages), and
    # once per request, shared with the page's ETag.
    # A page with a version of its own (one project's) says its date is its own.
    return {
        "data_as_of": partial(caching.data_version, request),
        "data_as_of_own": caching.has_own_version(request),
    }


def site_frame(request) -> dict:
    # Lazy: the programme is read once, and only by a page that shows the header or footer.
    programme = SimpleLazyObject(reference_selectors.default_programme)

    def publisher() -> str:
        # SITE_PUBLISHER, else the donor organisation of the programme the showcase opens on.
        if settings.SITE_PUBLISHER:
            return settings.SITE_PUBLISHER
        return programme.donor.name if programme else ""

    return {
        "site_programme": programme,
        "site_publisher": publisher,
        "site_contact_email": settings.SITE_CONTACT_EMAIL,
        "icp_filing_number": settings.ICP_FILING_NUMBER,
    }
