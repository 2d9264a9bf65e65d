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
            for format in ("csv", "xlsx", "json")
        ],
    ],
    "data_files",
)
