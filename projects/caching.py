"""HTTP and server-side caching of the public pages, keyed by when their data last changed.

One version token stands for everything a public page shows: when any public record last changed
(`selectors.data_as_of`, one query), the language, today's date (a figure may read "not yet due")
and the code that renders it. It is the page's ETag, so a browser that asks again with
If-None-Match gets a 304 while nothing changed, and the key under which the pages' figures are
cached, so a change to any record that feeds them is shown on the very next request.
"""

import datetime
import hashlib
from collections.abc import Callable
from functools import lru_cache, wraps
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone, translation
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.views.decorators.http import condition

from projects import selectors

# Browsers and proxies may reuse a page this long, then ask again with If-None-Match.
PAGE_MAX_AGE = 60
# Figures of an old version are never read again; they leave the cache after this long.
FIGURES_TIMEOUT = 60 * 60

# What renders a page: a deployment that changes any of these changes every ETag.
_CODE_SUFFIXES = (".py", ".html", ".mo")
_CODE_FOLDERS = (
    "aidportal",
    "core",
    "reference",
    "projects",
    "funding",
    "medical",
    "education",
    "opendata",
)
# Settings read from the environment that change what a page shows.
_PAGE_SETTINGS = (
    "DEFAULT_PROGRAMME",
    "EDUCATION_MIN_GROUP_SIZE",
    # The footer's publisher, contact and filing number.
    "SITE_PUBLISHER",
    "SITE_CONTACT_EMAIL",
    "ICP_FILING_NUMBER",
    # The licence the data page and datapackage.json name.
    "OPEN_DATA_LICENCE",
    "OPEN_DATA_LICENCE_URL",
)


@lru_cache(maxsize=1)
def _code_digest() -> str:
    """A digest of the portal's code, templates and translations, computed once per process and
    the same in every worker of one deployment."""
    digest = hashlib.sha256()
    base = Path(settings.BASE_DIR)
    folders = [base / name for name in _CODE_FOLDERS] + [base / "templates", base / "locale"]
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            if path.suffix in _CODE_SUFFIXES and path.is_file():
                digest.update(str(path.relative_to(base)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


def code_version() -> str:
    """What renders the pages: the code and the settings they read."""
    page_settings = repr([getattr(settings, name) for name in _PAGE_SETTINGS])
    return hashlib.sha256((_code_digest() + page_settings).encode()).hexdigest()[:16]


def data_version(request) -> datetime.datetime | None:
    """`selectors.data_as_of()`, asked once per request: the ETag, the figures' cache key and
    the footer's date share it."""
    if not hasattr(request, "_data_as_of"):
        request._data_as_of = selectors.data_as_of()
    return request._data_as_of


def version_token(request) -> str:
    as_of = data_version(request)
    parts = [
        code_version(),
        as_of.isoformat() if as_of else "-",
        translation.get_language() or "",
        timezone.localdate().isoformat(),
    ]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


def cached_figures(request, page: str, programme_id: int, compute: Callable[[], dict]) -> dict:
    """The figures of `page` for a programme in the request's language: from the cache while no
    record behind them has changed, else computed (each value evaluated, never a lazy query)."""
    key = f"figures:{page}:{programme_id}:{version_token(request)}"
    figures = cache.get(key)
    if figures is None:
        figures = compute()
        cache.set(key, figures, FIGURES_TIMEOUT)
    return figures


def public_page(view=None, *, etag: Callable[..., str | None] | None = None):
    """A public page: cacheable by anyone for PAGE_MAX_AGE seconds, then revalidated with its
    ETag (a 304 while the data has not changed). A response that sets a cookie or is not a 200
    is never marked public.

    `etag(request, *args, **kwargs)` replaces the data's version as the ETag of a page that shows
    more than the data (counts the worker keeps) or serves a stored file; None: no ETag."""
    if view is None:
        return lambda view: public_page(view, etag=etag)

    def data_etag(request, *args, **kwargs) -> str:
        return f'"{version_token(request)}"'

    conditional = condition(etag_func=etag or data_etag)(view)

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        response = conditional(request, *args, **kwargs)
        if response.status_code in (200, 304) and not response.cookies:
            # The pages show nobody's own data: a signed-in reader gets what anyone gets.
            patch_cache_control(response, public=True, max_age=PAGE_MAX_AGE, must_revalidate=True)
        else:
            patch_cache_control(response, private=True, no_store=True)
        if response.status_code not in (200, 304):
            # Its body is not the page the ETag names (a file being prepared, an error).
            del response["ETag"]
        patch_vary_headers(response, ("Accept-Language",))
        return response

    return wrapped
