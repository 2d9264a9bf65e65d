"""datapackage.json describes every dataset and field, and the Frictionless validator passes
over every resource as served, in each of the three formats."""

import datetime
import json

import frictionless
import pytest
from frictionless.resources import TableResource

from opendata.datasets import DATASETS
from projects.selectors import data_as_of
from tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db


def schema_of(resource: dict) -> frictionless.Schema:
    """A resource's schema for one file alone: the foreign keys need the whole package."""
    schema = {key: value for key, value in resource["schema"].items() if key != "foreignKeys"}
    return frictionless.Schema.from_descriptor(schema)


def test_the_validator_passes_over_every_resource_of_the_demo_in_every_format(demo, files):
    folder, descriptor = files()
    counts = {dataset.name: dataset.count() for dataset in DATASETS}

    report = frictionless.validate(str(folder / "datapackage.json"))

    assert report.valid, report.flatten(["title", "rowNumber", "fieldName", "note"])[:20]
    assert {task.name: task.stats["rows"] for task in report.tasks} == counts
    assert all(counts.values()), "the demo has rows in every dataset"
    for resource in descriptor["resources"]:
        name, schema = resource["name"], schema_of(resource)
        workbook = frictionless.validate(
            TableResource(path=f"{name}.xlsx", basepath=str(folder), schema=schema)
        )
        assert workbook.valid, (name, workbook.flatten(["title", "rowNumber", "note"]))
        assert workbook.tasks[0].stats["rows"] == counts[name]
        # The JSON's values, as parsed, against the same schema.
        records = json.loads((folder / f"{name}.json").read_text())
        names = [field.name for field in schema.fields]
        data = [names, *([record[field] for field in names] for record in records)]
        values = frictionless.validate(TableResource(data=data, schema=schema))
        assert values.valid, (name, values.flatten(["title", "rowNumber", "note"]))
        assert values.tasks[0].stats["rows"] == counts[name]


def test_every_field_has_a_type_a_description_and_the_language_of_its_text(client, db):
    ProjectFactory()

    descriptor = client.get("/data/datapackage.json").json()

    assert descriptor["profile"] == "tabular-data-package"
    assert [r["name"] for r in descriptor["resources"]] == [d.name for d in DATASETS]
    for resource in descriptor["resources"]:
        assert resource["path"] == f"{resource['name']}.csv"
        assert resource["title"] and resource["translations"]["zh-Hans"]["title"]
        for field in resource["schema"]["fields"]:
            assert field["type"] and field["description"], field
            assert field["translations"]["zh-Hans"]["description"], field
            if field["name"].endswith("_zh"):
                assert field["language"] == "zh-Hans"
            if field["name"].endswith("_en"):
                assert field["language"] == "en"
    projects = descriptor["resources"][0]["schema"]["fields"]
    investment = next(f for f in projects if f["name"] == "planned_investment")
    assert (investment["type"], investment["unit"]) == ("number", "CNY")
    status = next(f for f in projects if f["name"] == "status")
    assert status["constraints"]["enum"][:2] == ["pipeline", "implementation"]
    assert descriptor["licenses"] == [
        {
            "name": "CC-BY-4.0",
            "title": "Creative Commons Attribution 4.0 International",
            "path": "https://creativecommons.org/licenses/by/4.0/",
        }
    ]
    as_of = data_as_of().astimezone(datetime.UTC).replace(microsecond=0)
    assert descriptor["created"] == as_of.isoformat()
    assert descriptor["homepage"] == "http://testserver/data/"


def test_the_licence_is_a_setting(client, db, settings):
    address = "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"
    settings.OPEN_DATA_LICENCE = "OGL-UK-3.0"
    settings.OPEN_DATA_LICENCE_URL = address

    descriptor = client.get("/data/datapackage.json").json()
    page = client.get("/en/data/").content.decode()

    assert descriptor["licenses"] == [
        {"name": "OGL-UK-3.0", "title": "OGL-UK-3.0", "path": address}
    ]
    assert f'<a href="{address}" rel="license">OGL-UK-3.0</a>' in page
