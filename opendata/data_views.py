"""The /data/ page and the files it lists: each dataset as CSV, XLSX and JSON, and
datapackage.json. Thin: the datasets, their rows and their descriptions are in
opendata.datasets; the XLSX files and the page's row counts come from the worker's builds
(opendata.exports)."""

import datetime
import hashlib
import math

from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.views.decorators.http import require_safe

from opendata import datapackage, downloads, exports
from opendata.datasets import BY_NAME, DATASETS
from opendata.models import Export
from projects import caching

# A reader waiting for a file asks again after about as long as the last build took, within these.
RETRY_SECONDS = (2, 60)
# A stored build never changes: its address may be kept for good (it is gone once replaced).
STORED_MAX_AGE = 365 * 24 * 60 * 60


def _states(request) -> dict[str, exports.State]:
    """Every dataset's state, read once per request. A dataset whose latest build is not of its
    data now gets one queued; where tasks run here (no broker), it has run, and is read again."""
    if not hasattr(request, "_export_states"):
        states = exports.states(DATASETS)
        ran = [exports.queue_build(state) for state in states.values() if state.current is None]
        request._export_states = exports.states(DATASETS) if any(ran) else states
    return request._export_states


def _index_etag(request) -> str:
    # The data's version, and what the page shows of the builds: their counts and times.
    shown = [
        (name, state.data_as_of, state.latest and state.latest.pk, bool(state.current))
        for name, state in _states(request).items()
    ]
    builds = hashlib.sha256(repr(shown).encode()).hexdigest()[:16]
    return f'"{caching.version_token(request)}-{builds}"'


@caching.public_page(etag=_index_etag)
def index(request):
    states = _states(request)
    return render(
        request,
        "opendata/data.html",
        {
            "datasets": [states[dataset.name] for dataset in DATASETS],
            "formats": list(downloads.FORMATS),
            "licence": datapackage.licence(),
        },
    )


@caching.public_page
def datapackage_json(request):
    with translation.override(None):
        homepage = request.build_absolute_uri(reverse("data:index"))
    descriptor = datapackage.package(homepage=homepage, created=caching.data_version(request))
    return JsonResponse(descriptor, json_dumps_params={"ensure_ascii": False, "indent": 2})


@caching.public_page
def download(request, name: str, format: str):
    dataset = BY_NAME.get(name)
    if dataset is None:
        raise Http404
    return downloads.download(dataset, format)


def _workbook_state(request, name: str) -> exports.State:
    """The dataset's XLSX as this request finds it, read once; a build queued when it is not of
    the data now, and read again where the build has run here (no broker)."""
    if not hasattr(request, "_workbook_state"):
        dataset = BY_NAME.get(name)
        if dataset is None:
            raise Http404
        state = exports.states([dataset])[name]
        if state.current is None and exports.queue_build(state):
            state = exports.states([dataset])[name]
        request._workbook_state = state
    return request._workbook_state


def _tag(export: Export) -> str:
    return f'"{export.code_version}-{export.pk}"'


def _workbook_etag(request, name: str, format: str) -> str | None:
    # The build served, never the data's version: only a reader holding this very file gets a 304.
    current = _workbook_state(request, name).current
    return _tag(current) if current else None


def _stored(export: Export, filename: str) -> FileResponse:
    response = FileResponse(
        exports.storage().open(export.file), as_attachment=True, filename=filename
    )
    response["Content-Type"] = downloads.FORMATS[export.format]
    response["ETag"] = _tag(export)
    return response


@caching.public_page(etag=_workbook_etag)
def workbook(request, name: str, format: str):
    """The dataset as XLSX when a build of its data now is stored; otherwise a 202 page saying it
    is being prepared (a build is queued), with a link to the latest older build if any."""
    state = _workbook_state(request, name)
    if state.current is not None:
        try:
            return _stored(state.current, f"{name}.xlsx")
        except FileNotFoundError:
            pass  # replaced by a newer build meanwhile: that one is being prepared
    latest = state.latest if state.latest and state.latest != state.current else None
    last_build = state.latest.seconds if state.latest else 0
    ready_in = exports.seconds_to_next_build(state) + last_build
    retry = min(max(math.ceil(ready_in), RETRY_SECONDS[0]), RETRY_SECONDS[1])
    response = render(
        request,
        "opendata/preparing.html",
        {"dataset": state.dataset, "older": latest, "retry": retry},
        status=202,
    )
    response["Retry-After"] = str(retry)
    return response


@require_safe
def stored_file(request, id: int, name: str):
    """A build by its own address, whatever the data now: the file a 202 page offers."""
    export = Export.objects.filter(pk=id, dataset=name).first()
    if export is None:
        raise Http404
    stamp = export.as_of.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H%MZ")
    try:
        response = _stored(export, f"{name}-{stamp}.{export.format}")
    except FileNotFoundError:
        raise Http404 from None
    response["Cache-Control"] = f"public, max-age={STORED_MAX_AGE}, immutable"
    return response
