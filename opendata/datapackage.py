"""datapackage.json: the bulk downloads described as a Frictionless Data Package (v1, tabular):
every resource and field with its type, unit and the language of its text, the licence and the
date of the data. Titles and descriptions are given in English, and in Chinese under
`translations`; the data themselves are the same in every language.
"""

import datetime

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from opendata.datasets import DATASETS, ZH, Dataset, Field

# Licences the portal names in both languages: (title, address). Any other SPDX identifier in
# OPEN_DATA_LICENCE is given as it is, with OPEN_DATA_LICENCE_URL.
LICENCES = {
    "CC-BY-4.0": (
        _("Creative Commons Attribution 4.0 International"),
        "https://creativecommons.org/licenses/by/4.0/",
    ),
    "CC0-1.0": (
        _("Creative Commons Zero 1.0 Universal (public domain)"),
        "https://creativecommons.org/publicdomain/zero/1.0/",
    ),
    "ODC-BY-1.0": (
        _("Open Data Commons Attribution License 1.0"),
        "https://opendatacommons.org/licenses/by/1-0/",
    ),
}
LANGUAGES = {ZH: "zh-hans", "en": "en"}


def licence() -> dict:
    """The licence of the data, from OPEN_DATA_LICENCE (an SPDX identifier) and
    OPEN_DATA_LICENCE_URL."""
    name = settings.OPEN_DATA_LICENCE
    title, address = LICENCES.get(name, (name, ""))
    return {"name": name, "title": title, "path": settings.OPEN_DATA_LICENCE_URL or address}


def _in(language: str, text) -> str:
    with translation.override(LANGUAGES[language]):
        return str(text)


def _described(title, description) -> dict:
    return {
        "title": _in("en", title),
        "description": _in("en", description),
        "translations": {ZH: {"title": _in(ZH, title), "description": _in(ZH, description)}},
    }


def _field(field: Field) -> dict:
    descriptor = {
        "name": field.name,
        "type": field.type,
        "description": _in("en", field.description),
        "translations": {ZH: {"description": _in(ZH, field.description)}},
    }
    if field.unit:
        descriptor["unit"] = field.unit
    if field.language:
        descriptor["language"] = field.language
    constraints: dict[str, object] = {}
    if field.required:
        constraints["required"] = True
    if field.enum:
        constraints["enum"] = list(field.enum)
    if constraints:
        descriptor["constraints"] = constraints
    return descriptor


def resource(dataset: Dataset) -> dict:
    schema = {"fields": [_field(field) for field in dataset.fields], "missingValues": [""]}
    if dataset.primary_key:
        schema["primaryKey"] = list(dataset.primary_key)
    if dataset.foreign_keys:
        schema["foreignKeys"] = [
            {
                "fields": list(key.fields),
                "reference": {"resource": key.resource, "fields": list(key.reference)},
            }
            for key in dataset.foreign_keys
        ]
    return {
        "name": dataset.name,
        "path": f"{dataset.name}.csv",
        "profile": "tabular-data-resource",
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        **_described(dataset.title, dataset.description),
        "schema": schema,
    }


def package(*, homepage: str, created: datetime.datetime | None) -> dict:
    """The descriptor; resource paths are relative to it, so a copy of the files and the
    descriptor in one folder is a valid package too."""
    descriptor = {
        "profile": "tabular-data-package",
        "name": "aidportal-open-data",
        **_described(
            _("AidPortal open data"),
            _(
                "The records of paired-aid programmes that the portal's public pages show: "
                "projects, their organisations, milestones and indicators, the funding ledger "
                "and budgets, medical open calls and outreach, released exam figures and the "
                "timeline. Amounts are in CNY."
            ),
        ),
        "homepage": homepage,
        "licenses": [{**licence(), "title": _in("en", licence()["title"])}],
        "resources": [resource(dataset) for dataset in DATASETS],
    }
    if created is not None:
        descriptor["created"] = created.astimezone(datetime.UTC).replace(microsecond=0).isoformat()
    return descriptor
