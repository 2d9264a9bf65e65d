"""Each dataset holds what the public pages and their selectors show, never an unpublished
record or an entry awaiting approval, in CSV, XLSX and JSON, streamed. The tests have no broker,
as `make run` on SQLite: an XLSX is built while the reader waits and served at once (the worker's
way is in test_exports.py)."""

import csv
import datetime
import io
import json
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission, User
from django.http import StreamingHttpResponse
from openpyxl import load_workbook

from api.callers import Caller
from api.keys import issue_api_key
from core.newest import column_of
from education import selectors as education
from funding import selectors as funding
from funding import services
from funding.models import BudgetLine, LedgerEntry
from medical import selectors as medical
from medical.models import CallList
from opendata.datasets import DATASETS
from projects import selectors as projects
from projects.selectors import change_columns
from reference import selectors as reference
from tests.factories import (
    IndicatorFactory,
    MilestoneFactory,
    OrganisationFactory,
    ParticipantFactory,
    ProjectFactory,
    TimelineEventFactory,
)
from tests.medical.factories import CallItemFactory, CallListFactory, published_item
from tests.opendata.conftest import body

pytestmark = pytest.mark.django_db


def read_csv(client, name: str) -> list[dict[str, str]]:
    response = client.get(f"/data/{name}.csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = body(response).decode("utf-8")
    assert text.startswith("\ufeff"), "Excel needs the byte-order mark to read UTF-8"
    return list(csv.DictReader(io.StringIO(text[1:])))


def read_json(client, name: str) -> list[dict]:
    response = client.get(f"/data/{name}.json")
    assert response["Content-Type"] == "application/json"
    return json.loads(body(response))


def read_xlsx(client, name: str) -> list[tuple]:
    response = client.get(f"/data/{name}.xlsx")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = load_workbook(io.BytesIO(body(response)), read_only=True)
    return list(workbook.worksheets[0].iter_rows(values_only=True))


@pytest.mark.parametrize("format", ["csv", "xlsx", "json"])
def test_every_download_streams(client, db, format):
    for dataset in DATASETS:
        response = client.get(f"/data/{dataset.name}.{format}")

        assert isinstance(response, StreamingHttpResponse), dataset.name
        assert response["Content-Disposition"] == (
            f'attachment; filename="{dataset.name}.{format}"'
        )
        assert "public" in response["Cache-Control"] and response["ETag"]


def test_an_unknown_dataset_is_a_404(client, db):
    assert client.get("/data/students.csv").status_code == 404
    assert client.get("/data/projects.pdf").status_code == 404


def test_the_rows_are_what_the_selectors_show(client, demo):
    assert [row["code"] for row in read_csv(client, "projects")] == list(
        projects.published_projects().values_list("code", flat=True)
    )
    assert [int(row["id"]) for row in read_csv(client, "ledger-entries")] == list(
        funding.public_entries().values_list("id", flat=True)
    )
    claims = medical.visible_claims(Caller())
    assert [row["id"] for row in read_json(client, "medical-claims")] == list(
        claims.values_list("id", flat=True)
    )
    events = projects.published_events().order_by("date", "id")
    assert [row["title_en"] for row in read_json(client, "timeline")] == [
        event.title_en for event in events
    ]
    releases = read_csv(client, "education-results")
    assert len(releases) == education.latest_releases().count()
    # The lowest score, a single pupil's, is never published.
    assert not any("lowest" in name for name in releases[0])
    for dataset in DATASETS:
        assert len(read_csv(client, dataset.name)) == dataset.count(), dataset.name
        assert len(read_json(client, dataset.name)) == dataset.count(), dataset.name
        header, *rows = read_xlsx(client, dataset.name)
        assert list(header) == dataset.field_names
        assert len(rows) == dataset.count(), dataset.name
    # What /funding/ shows as arrived is what the ledger download adds up to.
    programme = reference.default_programme()
    figures = funding.totals(funding.projects_in_scope(public=True, programme=programme))
    arrived = sum(
        Decimal(row["amount"]) * (-1 if row["reverses"] else 1)
        for row in read_csv(client, "ledger-entries")
        if row["type"] == LedgerEntry.Type.INCOMING_FUNDS
    )
    assert arrived == figures.arrived


def staff(username: str) -> User:
    user = User.objects.create_user(username, is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="approve_disbursement"))
    return User.objects.get(pk=user.pk)


def test_unpublished_records_and_unapproved_entries_never_appear(client, db, settings):
    hidden = ProjectFactory(published=False, code="HIDDEN-1")
    ParticipantFactory(project=hidden)
    MilestoneFactory(project=hidden)
    IndicatorFactory(project=hidden)
    BudgetLine.objects.create(project=hidden, year=2023, amount=Decimal("10"))
    TimelineEventFactory(published=False, title_en="A draft event")
    linked = TimelineEventFactory(programme=hidden.programme, project=hidden, title_en="Linked")
    shown = ProjectFactory(programme=hidden.programme)
    settings.FUNDING_APPROVAL_THRESHOLD = "500"
    day = datetime.date(2023, 3, 1)
    services.record_entry(project=hidden, type="incoming_funds", date=day, amount=Decimal("100"))
    counted = services.record_entry(
        project=shown, type="incoming_funds", date=day, amount=Decimal("100")
    )
    waiting = services.record_entry(
        project=shown, type="incoming_funds", date=day, amount=Decimal("800")
    )
    withdrawn = services.reverse_entry(entry=waiting, reason="typed twice")
    approved = services.record_entry(
        project=shown, type="incoming_funds", date=day, amount=Decimal("900")
    )
    services.approve_disbursement(entry=approved, approved_by=staff("chief"))
    draft = CallItemFactory(call_list=CallListFactory(programme=hidden.programme))
    open_item = published_item()

    for dataset in DATASETS:
        text = body(client.get(f"/data/{dataset.name}.json")).decode()
        assert "HIDDEN-1" not in text, dataset.name
        assert "A draft event" not in text
        assert draft.title_en not in text and draft.call_list.title_en not in text
    entries = read_json(client, "ledger-entries")
    assert [entry["id"] for entry in entries] == [counted.pk, approved.pk]
    assert withdrawn.pk not in {entry["id"] for entry in entries}
    timeline = {row["title_en"]: row for row in read_json(client, "timeline")}
    assert timeline["Linked"]["project"] is None  # its project is unpublished
    assert linked.project_id == hidden.pk
    items = read_json(client, "medical-items")
    assert [item["title_en"] for item in items] == [open_item.title_en]
    assert CallList.objects.filter(status=CallList.Status.DRAFT).count() == 1


def test_every_change_a_dataset_reads_moves_the_pages_data_version():
    # A download's ETag is the pages' data version (projects.selectors.data_as_of): a change
    # the dataset's rows read but the version does not would leave readers a stale file.
    version = set(change_columns())
    for dataset in DATASETS:
        changes = {column_of(model, field) for model, field in dataset.changes}
        assert changes <= version, (dataset.name, changes - version)


def test_publishing_a_partners_note_moves_the_downloads_etag(client, db):
    # A reader holding the ledger file must not be told it is current once it is not.
    project = ProjectFactory()
    partner = OrganisationFactory()
    ParticipantFactory(project=project, organisation=partner, role="funding")
    officer = staff("officer")
    officer.user_permissions.add(Permission.objects.get(codename="publish_entry_note"))
    officer = User.objects.get(pk=officer.pk)
    key, _raw = issue_api_key(
        organisation=partner, name="k", capabilities=["funding:entries"], granted_by=officer
    )
    entry = services.record_entry(
        project=project,
        type="incoming_funds",
        date=datetime.date(2023, 3, 1),
        amount=Decimal("100"),
        note="Second tranche",
        recorded_by_key=key,
    )
    before = client.get("/data/ledger-entries.csv")
    assert [row["note"] for row in read_csv(client, "ledger-entries")] == [""]

    services.publish_note(entry=entry, published_by=officer)
    after = client.get("/data/ledger-entries.csv", HTTP_IF_NONE_MATCH=before["ETag"])

    assert after.status_code == 200
    assert after["ETag"] != before["ETag"]
    assert "Second tranche" in body(after).decode()


def test_text_that_would_start_a_formula_stays_text(client, db):
    ProjectFactory(code="P-FORMULA", title_en='=HYPERLINK("http://example.com","x")')

    row = next(row for row in read_csv(client, "projects") if row["code"] == "P-FORMULA")
    header, *rows = read_xlsx(client, "projects")
    cell = rows[0][list(header).index("title_en")]

    assert row["title_en"] == '\'=HYPERLINK("http://example.com","x")'
    assert cell == '\'=HYPERLINK("http://example.com","x")'
    # JSON is not opened by spreadsheets: the text stays as it is.
    assert read_json(client, "projects")[0]["title_en"].startswith("=HYPERLINK")


def test_values_keep_their_types(client, db):
    project = ProjectFactory(planned_start=datetime.date(2024, 5, 1), flagship=True)

    row = read_json(client, "projects")[0]
    header, xlsx_row = read_xlsx(client, "projects")
    cells = dict(zip(header, xlsx_row, strict=True))

    assert (row["planned_investment"], row["planned_start"]) == ("1000000.00", "2024-05-01")
    assert (row["flagship"], row["beneficiaries"], row["summary_en"]) == (True, None, None)
    assert row["code"] == project.code
    assert cells["planned_investment"] == 1000000
    assert cells["planned_start"] == datetime.datetime(2024, 5, 1)
    assert cells["flagship"] is True
