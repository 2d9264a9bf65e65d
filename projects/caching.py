"""HTTP and server-side caching of the public pages, keyed by when their data last changed.

One version token stands for everything a public page shows: when any public record last changed
(`selectors.data_as_of`, one query), the language, today's date (a figure may read "not yet due")
and the code that renders it. A project's page asks only for its own project's records among
those only such a page shows (`public_page(version=…)`, `selectors.PROJECT_OWNED`). It is the
page's ETag, so a browser that asks again with If-None-Match gets a 304 while nothing changed,
and the key under which the pages' figures are cached.

The rendered page is kept too, with its token. For PAGE_FRESH_SECONDS after it was rendered or
last confirmed, an anonymous reader gets it as it is, without the version query; after that the
token is asked again, and the page is rendered anew only if it moved. A signed-in reader (staff
checking a correction) always gets the current data. Every page states the time its data is as
of, so a page kept for a few seconds still tells the truth about itself.
"""

import datetime
import hashlib
import random
import time
from collections.abc import Callable
from functools import lru_cache, wraps
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.utils import timezone, translation
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.views.decorators.http import condition

from projects import selectors

# Browsers and proxies may reuse a page this long, then ask again with If-None-Match.
PAGE_MAX_AGE = 60
# Figures of an old version are never read again; they leave the cache after this long.
FIGURES_TIMEOUT = 60 * 60
# A kept page nobody asked for in this long leaves the cache.
PAGE_TIMEOUT = 10 * 60
# The headers a kept page is served with again (the middleware adds the rest on every response).
_KEPT_HEADERS = ("Content-Type", "Content-Language", "Content-Disposition")

# What renders a page: a deployment that changes any of these changes every ETag.
_CODE_SUFFIXES = (".py", ".html", ".mo", ".css", ".js", ".svg")
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
    folders = [base / name for name in _CODE_FOLDERS] + [
        base / "templates",
        base / "locale",
        # A page names its stylesheet and scripts by their content's hash: a kept page must not
        # outlive them.
        base / "static",
    ]
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


def has_own_version(request) -> bool:
    """Whether the request's page reads a data version of its own (`public_page(version=…)`,
    one project's page) rather than the one all public pages share."""
    return hasattr(request, "_read_data_version")


def data_version(request) -> datetime.datetime | None:
    """When the data the request's page shows last changed, asked once per request: the ETag,
    the figures' cache key and the footer's date share it. `selectors.data_as_of()`, or what the
    page's `public_page(version=…)` reads."""
    if not hasattr(request, "_data_as_of"):
        read = getattr(request, "_read_data_version", selectors.data_as_of)
        request._data_as_of = read()
    return request._data_as_of


def version_token(request) -> str:
    """The version of everything the request's page shows, computed once per request (a page
    served as kept carries the token it was rendered with)."""
    if not hasattr(request, "_version_token"):
        as_of = data_version(request)
        parts = [
            code_version(),
            as_of.isoformat() if as_of else "-",
            translation.get_language() or "",
            timezone.localdate().isoformat(),
        ]
        request._version_token = hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]
    return request._version_token


def cached_figures(request, page: str, programme_id: int, compute: Callable[[], dict]) -> dict:
    """The figures of `page` for a programme in the request's language: from the cache while no
    record behind them has changed, else computed (each value evaluated, never a lazy query)."""
    key = f"figures:{page}:{programme_id}:{version_token(request)}"
    figures = cache.get(key)
    if figures is None:
        figures = compute()
        cache.set(key, figures, FIGURES_TIMEOUT)
    return figures


def _page_key(request: HttpRequest) -> str:
    parts = [
        code_version(),
        translation.get_language() or "",
        timezone.localdate().isoformat(),
        request.scheme or "",
        request.get_host(),
        request.get_full_path(),
    ]
    return "page:" + hashlib.sha256("|".join(parts).encode()).hexdigest()


def _signed_in(request: HttpRequest) -> bool:
    return settings.SESSION_COOKIE_NAME in request.COOKIES


def _kept_page(request: HttpRequest, key: str, etag: Callable[[], str | None]) -> dict | None:
    """The page kept under `key` if it may be served to this request: rendered or confirmed
    less than PAGE_FRESH_SECONDS ago (anonymous readers only), or still of the page's ETag."""
    kept = cache.get(key)
    if kept is None:
        return None
    now = time.time()
    fresh_for = settings.PAGE_FRESH_SECONDS * kept.get("share", 1.0)
    if now - kept["confirmed"] < fresh_for and not _signed_in(request):
        return kept
    if kept["etag"] != etag():
        return None
    kept["confirmed"] = now
    cache.set(key, kept, PAGE_TIMEOUT)
    return kept


def _keep(key: str, etag: str | None, response: HttpResponseBase) -> None:
    if etag is None or response.status_code != 200 or response.streaming or response.cookies:
        return
    assert isinstance(response, HttpResponse)
    headers = {name: response[name] for name in _KEPT_HEADERS if response.has_header(name)}
    kept = {
        "etag": etag,
        "confirmed": time.time(),
        # Each page is confirmed after 75–100% of the window, so pages rendered together are not
        # all rendered again together.
        "share": random.uniform(0.75, 1.0),
        "content": response.content,
    }
    cache.set(key, kept | {"headers": headers}, PAGE_TIMEOUT)


def _served_kept(request: HttpRequest, kept: dict) -> HttpResponseBase:
    response = HttpResponse(kept["content"], headers=kept["headers"])
    response["ETag"] = kept["etag"]
    return get_conditional_response(request, etag=kept["etag"], response=response) or response


def public_page(
    view=None,
    *,
    etag: Callable[..., str | None] | None = None,
    version: Callable[..., datetime.datetime | None] | None = None,
):
    """A public page: cacheable by anyone for PAGE_MAX_AGE seconds, then revalidated with its
    ETag (a 304 while the data has not changed), and kept rendered on the server under that ETag
    (see the module's description). A response that sets a cookie or is not a 200 is never
    marked public nor kept; a streamed download is never kept.

    `etag(request, *args, **kwargs)` replaces the data's version as the ETag of a page that shows
    more than the data (counts the worker keeps) or serves a stored file; None: no ETag.
    `version(request, *args, **kwargs)` replaces `selectors.data_as_of()` as when the page's
    data last changed, for a page that shows less than all of it (one project's)."""
    if view is None:
        return lambda view: public_page(view, etag=etag, version=version)

    def page_etag(request, *args, **kwargs) -> str | None:
        if etag is not None:
            return etag(request, *args, **kwargs)
        return f'"{version_token(request)}"'

    conditional = condition(etag_func=page_etag)(view)

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if version is not None:
            request._read_data_version = lambda: version(request, *args, **kwargs)
        key = _page_key(request) if request.method in ("GET", "HEAD") else None
        kept = None
        if key:
            kept = _kept_page(request, key, lambda: page_etag(request, *args, **kwargs))
        if kept is not None:
            response = _served_kept(request, kept)
        else:
            response = conditional(request, *args, **kwargs)
            if key and request.method == "GET":
                _keep(key, page_etag(request, *args, **kwargs), response)
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
