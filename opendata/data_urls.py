from django.urls import path

from opendata import data_views

app_name = "data"

# The page, under each language's prefix.
urlpatterns = [path("", data_views.index, name="index")]

# The files, one address whatever the language: their content is the same in both.
files = (
    [
        path("datapackage.json", data_views.datapackage_json, name="datapackage"),
        *[
            path(f"<slug:name>.{format}", data_views.download, {"format": format}, name=format)
            for format in ("csv", "json")
        ],
        # Built by the worker: served once a build of the data now is stored (opendata.exports).
        path("<slug:name>.xlsx", data_views.workbook, {"format": "xlsx"}, name="xlsx"),
        # One build, at an address of its own that never changes: the older file a 202 offers.
        path("files/<int:id>/<slug:name>.xlsx", data_views.stored_file, name="stored"),
    ],
    "data_files",
)
