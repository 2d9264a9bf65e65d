"""The /data/ page and the files it lists: each dataset as CSV, XLSX and JSON, and
datapackage.json. Thin: the datasets, their rows and their descriptions are in
opendata.datasets."""

from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation

from opendata import datapackage, downloads
from opendata.datasets import BY_NAME, DATASETS
from projects import caching


def _dataset_figures() -> dict:
    return {"rows": {dataset.name: (dataset.count(), dataset.changed()) for dataset in DATASETS}}


@caching.public_page
def index(request):
    # Counting a million ledger entries takes a second: counted once per change to the data
    # (the figures' cache key is the pages' version), not once per reader.
    figures = caching.cached_figures(request, "data", 0, _dataset_figures)["rows"]
    datasets = [(dataset, *figures[dataset.name]) for dataset in DATASETS]
    return render(
        request,
        "opendata/data.html",
        {
            "datasets": datasets,
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
