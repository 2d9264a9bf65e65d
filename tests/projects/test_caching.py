"""Public pages are cacheable and revalidate with an ETag; their figures are cached per language
and programme, and any change to a record behind them shows on the very next request."""

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from funding import services
from funding.models import BudgetLine, Donation
from medical.models import CharityBatch, FreeClinic, HospitalFirst
from projects import selectors
from tests.factories import (
    OrganisationFactory,
    ParticipantFactory,
    ProgrammeFactory,
    ProgressUpdateFactory,
    ProjectFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def programme():
    return ProgrammeFactory(code="hz-sn", name_zh_hans="杭州—色尼", name_en="Hangzhou–Seni")


@pytest.fixture
def project(programme):
    return ProjectFactory(
        programme=programme,
        code="SN-1",
        flagship=True,
        title_zh_hans="牧民新居",
        title_en="New homes for herders",
    )


def text_of(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def stat(page: str, name: str) -> str:
    return re.search(rf'data-stat="{name}".*?stat-value">([^<]*)<', page).group(1).strip()


PAGES = ["/", "/en/", "/projects/", "/en/projects/SN-1/", "/timeline/", "/funding/", "/medical/"]


@pytest.mark.parametrize("url", PAGES)
def test_a_public_page_is_cacheable_and_answers_304_while_nothing_changed(client, project, url):
    first = client.get(url)

    assert first.status_code == 200
    cache_control = {part.strip() for part in first["Cache-Control"].split(",")}
    assert {"public", "max-age=60", "must-revalidate"} <= cache_control
    assert first["ETag"].startswith('"')
    assert "Accept-Language" in first["Vary"]
    assert not first.cookies

    again = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])

    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == first["ETag"]
    assert "public" in again["Cache-Control"]


def test_each_language_has_its_own_etag_and_its_own_cached_figures(client, project):
    english = client.get("/en/")
    chinese = client.get("/")

    assert english["ETag"] != chinese["ETag"]
    assert "New homes for herders" in text_of(english)
    # Figures cached for the English page are not served to the Chinese one.
    assert "牧民新居" in text_of(chinese)
    assert "New homes for herders" not in text_of(chinese)


def test_publishing_an_update_shows_on_the_next_request_and_moves_the_etag(client, project):
    update = ProgressUpdateFactory(project=project, published=False, title_en="Roofs finished")
    before = client.get("/en/")
    assert "Roofs finished" not in text_of(before)
    assert client.get("/en/", HTTP_IF_NONE_MATCH=before["ETag"]).status_code == 304

    update.published = True
    update.save()
    after = client.get("/en/", HTTP_IF_NONE_MATCH=before["ETag"])

    assert after.status_code == 200
    assert "Roofs finished" in text_of(after)
    assert after["ETag"] != before["ETag"]


def test_a_project_page_moves_with_its_own_records_and_the_shared_ones_only(
    client, project, programme
):
    other = ProjectFactory(programme=programme, code="SN-2")
    page = "/en/projects/SN-1/"
    before = client.get(page)
    other_before = client.get("/en/projects/SN-2/")

    # Another project's update and ledger entry change nothing on this page.
    ProgressUpdateFactory(project=other, title_en="Elsewhere")
    services.record_entry(
        project=other, type="incoming_funds", date=datetime.date(2024, 1, 5), amount=Decimal(9)
    )
    assert client.get(page, HTTP_IF_NONE_MATCH=before["ETag"]).status_code == 304
    # …and move that project's own page.
    other_after = client.get("/en/projects/SN-2/", HTTP_IF_NONE_MATCH=other_before["ETag"])
    assert other_after.status_code == 200 and "Elsewhere" in text_of(other_after)

    # Its own do, and so does what every page shows (a partner's name, here).
    mine = ProgressUpdateFactory(project=project, title_en="Roofs finished")
    own = client.get(page, HTTP_IF_NONE_MATCH=before["ETag"])
    assert own.status_code == 200 and "Roofs finished" in text_of(own)
    participant = ParticipantFactory(project=project)
    named = client.get(page)
    participant.organisation.name_en = "Renamed partner"
    participant.organisation.save()
    renamed = client.get(page, HTTP_IF_NONE_MATCH=named["ETag"])
    assert renamed.status_code == 200 and "Renamed partner" in text_of(renamed)

    # An update moved to another project leaves this page with its move.
    moved_from = client.get(page)
    mine.project = other
    mine.save()
    after_move = client.get(page, HTTP_IF_NONE_MATCH=moved_from["ETag"])
    assert after_move.status_code == 200 and "Roofs finished" not in text_of(after_move)


def test_a_project_pages_footer_states_when_its_own_data_changed(client, project, programme):
    other = ProjectFactory(programme=programme, code="SN-2")
    ProgressUpdateFactory(project=other)

    page = text_of(client.get("/en/projects/SN-1/"))
    stated = re.search(r'data-as-of="([^"]+)"', page).group(1)

    assert selectors.data_as_of(project_code="SN-1") < selectors.data_as_of()
    own = selectors.data_as_of(project_code="SN-1")
    assert stated.startswith(timezone.localtime(own).strftime("%Y-%m-%dT%H:%M"))
    assert "the latest change to a record this page shows" in page
    assert "the latest change to a record these pages show" in text_of(client.get("/en/"))


def _donation(programme, purpose: str) -> Donation:
    return Donation.objects.create(
        programme=programme,
        date=datetime.date(2023, 5, 1),
        kind=Donation.Kind.GOODS,
        value=Decimal("120000.00"),
        donor_name_en="A school in Hangzhou",
        donor_name_zh_hans="杭州某校",
        purpose_en=purpose,
        purpose_zh_hans="冬衣",
        beneficiaries=Donation.Beneficiaries.STUDENTS,
    )


def test_a_donation_change_shows_at_once(client, project, programme):
    donation = _donation(programme, "Winter coats")
    before = client.get("/en/funding/")
    assert "Winter coats" in text_of(before)

    donation.purpose_en = "Winter boots"
    donation.save()
    after = client.get("/en/funding/", HTTP_IF_NONE_MATCH=before["ETag"])

    assert after.status_code == 200
    assert "Winter boots" in text_of(after)
    assert "Winter coats" not in text_of(after)


def _clinic(programme, number: int) -> FreeClinic:
    return FreeClinic.objects.create(
        programme=programme,
        number=number,
        date=datetime.date(2023, 8, number),
        venue_en=f"Township {number}",
        venue_zh_hans=f"乡镇{number}",
        team_en="Aid team",
        team_zh_hans="援藏医疗队",
        people_served=100,
    )


def test_a_free_clinic_recorded_or_removed_shows_at_once(client, project, programme):
    _clinic(programme, 1)
    assert stat(text_of(client.get("/en/medical/")), "clinics") == "1"

    second = _clinic(programme, 2)
    assert stat(text_of(client.get("/en/medical/")), "clinics") == "2"

    second.delete()
    assert stat(text_of(client.get("/en/medical/")), "clinics") == "1"


def _record(kind: str, programme, project):
    if kind == "donation":
        return _donation(programme, "Books")
    if kind == "budget line":
        return BudgetLine.objects.create(project=project, year=2023, amount=Decimal("10.00"))
    if kind == "free clinic":
        return _clinic(programme, 1)
    if kind == "charity batch":
        return CharityBatch.objects.create(
            programme=programme,
            number=1,
            date=datetime.date(2023, 6, 1),
            patients=10,
            funds=Decimal("200000.00"),
            spine=True,
        )
    return HospitalFirst.objects.create(
        programme=programme,
        hospital=OrganisationFactory(),
        code="first-transfusion",
        date=datetime.date(2023, 3, 1),
        what_en="First blood transfusion",
        what_zh_hans="首例输血",
    )


@pytest.mark.parametrize(
    "kind", ["donation", "budget line", "free clinic", "charity batch", "hospital first"]
)
def test_editing_a_record_that_kept_no_change_time_moves_the_data_date(kind, programme, project):
    record = _record(kind, programme, project)
    before = selectors.data_as_of()

    record.save()

    assert selectors.data_as_of() > before


@pytest.mark.parametrize("url", ["/en/", "/en/funding/", "/en/medical/"])
def test_a_cached_page_reads_fewer_queries(client, project, programme, url):
    _donation(programme, "Books")
    _clinic(programme, 1)
    with CaptureQueriesContext(connection) as cold:
        first = client.get(url)
    with CaptureQueriesContext(connection) as warm:
        second = client.get(url)

    assert first.status_code == second.status_code == 200
    assert len(warm.captured_queries) < len(cold.captured_queries)
    assert text_of(second) == text_of(first)


def test_the_footer_date_and_the_etag_share_one_query(client, project):
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/en/")

    assert "data-as-of=" in text_of(page)
    as_of_queries = [q for q in queries.captured_queries if "UNION ALL" in q["sql"]]
    assert len(as_of_queries) == 1


def test_every_newest_time_the_pages_ask_for_is_read_from_an_index(client, project):
    # The data version is read on every public request, and the datasets' change times on
    # /data/: each MAX must be one index lookup, or the pages slow down as the tables grow.
    with CaptureQueriesContext(connection) as queries:
        client.get("/en/")
        client.get("/en/data/")
    asked = {
        (table, column)
        for query in queries.captured_queries
        for column, table in re.findall(r'MAX\("(\w+)"\) FROM "(\w+)"', query["sql"])
    }
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT t.relname, a.attname
            FROM pg_index i
            JOIN pg_class t ON t.oid = i.indrelid
            JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = i.indkey[0]
            """
        )
        leading = set(cursor.fetchall())

    assert {"funding_notepublication", "medical_verification"} <= {t for t, _c in asked}
    assert sorted(asked - leading) == []


@pytest.mark.parametrize(
    "kind", ["donation", "budget line", "free clinic", "charity batch", "hospital first"]
)
def test_staff_see_who_changed_those_records_in_the_admin(client, admin_user, kind, programme):
    record = _record(kind, programme, ProjectFactory(programme=programme))
    client.force_login(admin_user)
    meta = record._meta

    page = client.get(f"/en/admin/{meta.app_label}/{meta.model_name}/{record.pk}/history/")

    assert page.status_code == 200
    assert "Created" in text_of(page)


@pytest.mark.parametrize(
    ("name", "value"),
    [("EDUCATION_MIN_GROUP_SIZE", 10), ("ICP_FILING_NUMBER", "浙ICP备00000000号-1")],
)
def test_a_setting_the_pages_read_moves_the_etag(client, project, settings, name, value):
    before = client.get("/en/")["ETag"]

    setattr(settings, name, value)

    assert client.get("/en/")["ETag"] != before


@pytest.mark.parametrize("url", ["/en/", "/projects/", "/en/projects/SN-1/", "/timeline/"])
def test_an_unchanged_page_is_served_as_rendered_after_one_version_query(client, project, url):
    first = client.get(url)
    with CaptureQueriesContext(connection) as queries:
        second = client.get(url)

    assert second.status_code == 200
    assert second.content == first.content
    assert second["ETag"] == first["ETag"]
    assert [q["sql"] for q in queries.captured_queries if "UNION ALL" not in q["sql"]] == []


def test_within_the_freshness_window_readers_get_the_page_as_rendered(client, project, settings):
    settings.PAGE_FRESH_SECONDS = 30
    update = ProgressUpdateFactory(project=project, published=True, title_en="Roofs finished")
    before = client.get("/en/")
    update.title_en = "Walls finished"
    update.save()

    with CaptureQueriesContext(connection) as queries:
        kept = client.get("/en/")

    # Unchanged, its ETag and its "data as of" date included: the page is true about itself.
    assert queries.captured_queries == []
    assert kept.content == before.content
    assert kept["ETag"] == before["ETag"]
    assert "Roofs finished" in text_of(kept)

    settings.PAGE_FRESH_SECONDS = 0  # the window has passed
    after = client.get("/en/", HTTP_IF_NONE_MATCH=before["ETag"])

    assert after.status_code == 200
    assert "Walls finished" in text_of(after)
    assert after["ETag"] != before["ETag"]


def test_signed_in_staff_see_a_change_at_once_within_the_window(client, project, settings):
    from django.contrib.auth.models import User
    from django.test import Client

    settings.PAGE_FRESH_SECONDS = 30
    update = ProgressUpdateFactory(project=project, published=True, title_en="Roofs finished")
    assert "Roofs finished" in text_of(client.get("/en/"))
    update.title_en = "Walls finished"
    update.save()
    staff = Client()
    staff.force_login(User.objects.create_user("editor", is_staff=True))

    assert "Walls finished" in text_of(staff.get("/en/"))
    assert "Roofs finished" not in text_of(staff.get("/en/"))
