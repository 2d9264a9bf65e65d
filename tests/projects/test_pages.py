import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from simple_history.models import registered_models

from funding import services as funding_services
from funding.models import LedgerEntry
from projects.models import Milestone, Project
from tests.conftest import owner_connection
from tests.factories import (
    AidTeamBatchFactory,
    IndicatorFactory,
    MilestoneFactory,
    ParticipantFactory,
    PlaceFactory,
    ProgrammeFactory,
    ProgressUpdateFactory,
    ProjectFactory,
    TeamMemberFactory,
    TimelineEventFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def programme():
    return ProgrammeFactory(code="hz-sn", name_zh_hans="杭州—色尼", name_en="Hangzhou–Seni")


def text_of(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_home_figures_come_from_published_records(client, programme):
    ProjectFactory(programme=programme, planned_investment=Decimal("400000000"), flagship=True)
    ProjectFactory(
        programme=programme,
        planned_investment=Decimal("10050000"),
        field=Project.Field.DEVELOPMENT,
        status=Project.Status.CLOSED,
    )
    ProjectFactory(programme=programme, planned_investment=Decimal("99999999"), published=False)

    page = text_of(client.get("/"))

    assert re.search(r'data-stat="project-count".*?stat-value">2<', page)
    assert "4.1005亿元" in page
    assert "¥410,050,000" in page
    assert re.search(r'data-chart="field".*?data-key="livelihood".*?data-count>1<', page)
    assert re.search(r'data-chart="status".*?data-key="closed".*?data-count>1<', page)


def test_home_in_english_shows_the_same_figures(client, programme):
    ProjectFactory(programme=programme, planned_investment=Decimal("410050000"))

    page = text_of(client.get("/en/"))

    assert '<html lang="en">' in page
    assert "CNY 410.05 million" in page
    assert "Hangzhou–Seni" in page
    assert 'hreflang="zh-hans"' in page


def test_home_shows_team_counts_but_never_member_names(client, programme):
    batch = AidTeamBatchFactory(programme=programme, number=10, cadres=3, medical=8, lawyers=1)
    TeamMemberFactory(batch=batch, name="张三丰")

    page = text_of(client.get("/en/"))

    assert re.search(r'data-stat="team".*?stat-value">12 ', page)
    assert "3 cadres, 8 medical staff" in page
    assert "张三丰" not in page


def test_an_unpublished_project_is_a_404(client, programme):
    hidden = ProjectFactory(programme=programme, published=False, code="HIDDEN-1")

    assert client.get(reverse("projects:detail", args=[hidden.code])).status_code == 404
    assert "HIDDEN-1" not in client.get(reverse("projects:list")).content.decode()


def test_project_list_filters_and_searches_both_languages(client, programme):
    district = PlaceFactory(name_zh_hans="色尼区", name_en="Seni")
    township = PlaceFactory(
        name_zh_hans="那曲镇", name_en="Nagqu Town", level="township", parent=district
    )
    village = PlaceFactory(
        name_zh_hans="罗岗村", name_en="Luogang", level="village", parent=township
    )
    ProjectFactory(
        programme=programme,
        code="A",
        title_zh_hans="杭嘉新村",
        title_en="Hangjia New Village",
        place=village,
        flagship=True,
    )
    ProjectFactory(
        programme=programme,
        code="B",
        title_zh_hans="阳光大棚",
        title_en="Sunshine greenhouse",
        category=Project.Category.EDUCATION,
    )

    def codes(query):
        return re.findall(
            r'<tr data-code="([^"]+)"', client.get("/projects/", query).content.decode()
        )

    assert codes({}) == ["A", "B"]
    assert codes({"q": "新村"}) == ["A"]
    assert codes({"q": "greenhouse"}) == ["B"]
    assert codes({"category": "education"}) == ["B"]
    assert codes({"place": township.pk}) == ["A"]
    assert codes({"flagship": "true"}) == ["A"]
    assert codes({"ordering": "-code"}) == ["B", "A"]


def test_project_list_reports_a_bad_filter_instead_of_ignoring_it(client, programme):
    ProjectFactory(programme=programme)

    response = client.get("/en/projects/", {"status": "finished"})

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert 'data-count="0"' in response.content.decode()


def test_project_list_paginates(client, programme):
    for n in range(25):
        ProjectFactory(programme=programme, code=f"P{n:02d}")

    first = client.get("/projects/").content.decode()
    second = client.get("/projects/", {"page": 2}).content.decode()

    assert first.count("<tr data-code=") == 20
    assert second.count("<tr data-code=") == 5
    assert 'data-code="P24"' in second


def test_project_page_shows_milestones_durations_indicators_and_partners(client, programme):
    project = ProjectFactory(
        programme=programme, beneficiaries=85, beneficiary_unit=Project.BeneficiaryUnit.HOUSEHOLDS
    )
    MilestoneFactory(
        project=project, kind=Milestone.Kind.APPROVAL, actual_date=datetime.date(2023, 1, 5)
    )
    MilestoneFactory(
        project=project,
        kind=Milestone.Kind.HANDOVER,
        actual_date=datetime.date(2023, 8, 20),
    )
    IndicatorFactory(project=project, name_en="Households moved in", target=85, actual=51)
    ParticipantFactory(project=project, organisation__name_en="Hangzhou Government", role="funding")
    ProgressUpdateFactory(project=project, title_en="Keys handed over", published=True)
    ProgressUpdateFactory(project=project, title_en="Draft note", published=False)

    page = text_of(client.get(f"/en/projects/{project.code}/"))

    assert "85 households" in page
    assert "Approval or filing to Handover or operation: 7 months" in page
    assert 'aria-valuenow="60"' in page  # 51 of 85
    assert "Hangzhou Government" in page
    assert "Keys handed over" in page
    assert "Draft note" not in page


def test_illustrative_values_are_marked(client, programme):
    project = ProjectFactory(programme=programme, illustrative_fields=["planned_investment"])

    page = text_of(client.get(f"/en/projects/{project.code}/"))

    assert re.search(
        r'data-fact="planned-investment">[^<]*<span[^>]*>[^<]*</span> <span class="illus"', page
    )


def test_timeline_hides_unpublished_events_and_links(client, programme):
    hidden_project = ProjectFactory(programme=programme, published=False, title_en="Secret")
    TimelineEventFactory(programme=programme, title_en="Ground broken", project=hidden_project)
    TimelineEventFactory(programme=programme, title_en="Not yet public", published=False)

    page = text_of(client.get("/en/timeline/"))

    assert "Ground broken" in page
    assert "Secret" not in page
    assert "Not yet public" not in page


def test_pages_use_no_external_assets(client, programme):
    project = ProjectFactory(programme=programme)
    for url in ("/", "/projects/", f"/projects/{project.code}/", "/timeline/"):
        html = client.get(url).content.decode()
        # Absolute addresses of the site's own pages (canonical, hreflang) load nothing.
        assert not re.search(r'(src|href)="(https?:)?//(?!testserver/)', html), url


def test_list_page_query_count_does_not_grow_with_rows(
    client, programme, django_assert_max_num_queries
):
    for _ in range(30):
        ProjectFactory(programme=programme, place=PlaceFactory())
    # The header's programme (its two governments) is one of them.
    with django_assert_max_num_queries(7):
        client.get("/projects/")


def test_the_filter_form_starts_with_no_filter_chosen(client, programme):
    ProjectFactory(programme=programme, code="PLAIN", flagship=False)

    html = client.get("/en/projects/").content.decode()

    # Every select offers an empty first choice, so submitting the form as it is filters nothing.
    for select in re.findall(r"<select[^>]*>.*?</select>", html, re.S):
        assert re.search(r'<option value=""[^>]*>', select), select


@pytest.mark.django_db(transaction=True)
def test_the_footer_says_when_the_data_last_changed(client, programme):
    project = ProjectFactory(programme=programme)
    member = TeamMemberFactory(batch=AidTeamBatchFactory(programme=programme))
    # Histories are append-only to the runtime role: the owner back-dates them.
    owner = owner_connection(connection.settings_dict["NAME"])
    try:
        with owner, owner.cursor() as cursor:
            for model in registered_models.values():
                cursor.execute(
                    f"UPDATE {model.history.model._meta.db_table} SET history_date = "
                    "'2020-01-01 12:00+00'"
                )
            cursor.execute(
                f"UPDATE {Project.history.model._meta.db_table} SET history_date = "
                "'2025-01-02 12:00+00' WHERE id = %s",
                [project.pk],
            )
            # A change to a staff-only record is no change to the public data.
            cursor.execute(
                f"UPDATE {type(member).history.model._meta.db_table} SET history_date = "
                "'2031-05-06 12:00+00' WHERE id = %s",
                [member.pk],
            )
    finally:
        owner.close()

    assert "数据截至2025年1月2日" in text_of(client.get("/"))
    assert "Data as of Jan. 2, 2025" in text_of(client.get("/en/timeline/"))

    # A ledger entry keeps no history; when it was recorded counts all the same.
    funding_services.record_entry(
        project=project,
        type=LedgerEntry.Type.INCOMING_FUNDS,
        date=datetime.date(2024, 1, 5),
        amount=Decimal("100"),
    )
    today = timezone.localdate()
    assert f"数据截至{today.year}年{today.month}月{today.day}日" in text_of(client.get("/"))
