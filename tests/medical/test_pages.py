import re

import pytest
from django.test import Client

from medical import services
from medical.models import Claim
from reference.models import AidTeamBatch, Organisation, TeamMember
from tests.medical.factories import CallItemFactory, CallListFactory

pytestmark = pytest.mark.django_db


def stat(html: str, name: str) -> str:
    start = html.index(f'data-stat="{name}"')
    value = html.index('class="stat-value">', start) + len('class="stat-value">')
    return html[value : html.index("<", value)].strip()


@pytest.mark.parametrize("prefix", ["", "/en"])
def test_the_page_shows_the_demo_figures(demo_data, prefix):
    html = Client().get(f"{prefix}/medical/").content.decode()
    assert {name: stat(html, name) for name in ("lists", "items", "claimed", "verified")} == {
        "lists": "3",
        "items": "25",
        "claimed": "25",
        "verified": "25",
    }
    assert stat(html, "claimants") == "6"
    assert stat(html, "clinics") == "17"
    # The reported figure with its qualifier, never the sum of the illustrative clinic rows.
    assert stat(html, "people-served") == ("over 2,000 person-times" if prefix else "2000余人次")
    assert stat(html, "charity-patients") == "123"
    assert stat(html, "charity-batches") == "12"
    assert html.count('data-organisation="shangcheng-health"') == 1 + 3  # overall + batches
    assert 'data-timeline="firsts"' in html and html.count('class="reached"') == 5


def test_figures_follow_the_records_and_private_parts_stay_private(demo_data):
    claim = Claim.objects.select_related("item").first()
    Claim.objects.filter(pk=claim.pk).update(contact="私人电话 138")
    batch = AidTeamBatch.objects.first()
    TeamMember.objects.create(batch=batch, name="测试医生甲", role="medical")
    html = Client().get("/medical/").content.decode()
    assert "私人电话" not in html and "测试医生甲" not in html

    # A new draft list is not public; a published one is, and the figures follow.
    programme = claim.item.call_list.programme
    draft = CallListFactory(
        programme=programme, batch=9, issuer=Organisation.objects.get(code="hz-health")
    )
    CallItemFactory(call_list=draft, title_zh_hans="草稿项目")
    assert "草稿项目" not in Client().get("/medical/").content.decode()
    services.publish_list(call_list=draft)
    html = Client().get("/medical/").content.decode()
    assert "草稿项目" in html
    assert stat(html, "items") == "26" and stat(html, "claimed") == "25"


def test_the_home_page_has_the_medical_figures(demo_data):
    html = Client().get("/").content.decode()
    assert stat(html, "medical-items") == "25"
    assert stat(html, "medical-verified") == "25"
    assert stat(html, "medical-clinics") == "17"
    assert stat(html, "medical-charity") == "123"


def test_the_page_reads_in_a_bounded_number_of_queries(demo_data, django_assert_max_num_queries):
    with django_assert_max_num_queries(30):
        assert Client().get("/medical/").status_code == 200


def test_without_records_the_page_says_so():
    from tests.factories import ProgrammeFactory

    ProgrammeFactory()
    html = Client().get("/medical/").content.decode()
    assert "No list has been published yet." in Client().get("/en/medical/").content.decode()
    assert 'data-stat="items"' in html


def test_the_page_has_nothing_inline_and_nothing_external(demo_data):
    for url in ("/medical/", "/en/medical/", "/"):
        page = Client().get(url).content.decode()
        assert " style=" not in page and "<style" not in page and "<script" not in page, url
        # Absolute addresses of the site's own pages (canonical, hreflang) load nothing.
        assert not re.search(r'(src|href)="(https?:)?//(?!testserver/)', page), url


@pytest.mark.parametrize(
    ("prefix", "headline"), [("", "2000余人次"), ("/en", "over 2,000 person-times")]
)
def test_free_clinics_are_headlined_as_reported_never_as_the_illustrative_sum(
    demo_data, prefix, headline
):
    home = Client().get(f"{prefix}/").content.decode()
    page = Client().get(f"{prefix}/medical/").content.decode()

    assert headline in home and stat(page, "people-served") == headline
    for html in (home, page):
        assert "2046" not in html and "2,046" not in html
        source = html[html.index('data-source="free-clinic-people"') :]
        source = source[: source.index("</p>")]
        assert "2024" in source  # the report's date
        assert ("China Reform Net" if prefix else "改革网") in source


def test_the_api_gives_the_reported_people_served(demo_data):
    body = Client().get("/api/v1/medical/outreach/").json()

    assert body["people_served"] == {
        "value": 2000,
        "qualifier": "over",
        "basis": "reported",
        "source": body["people_served"]["source"],
        "as_of": "2024-10-18",
    }
    assert body["people_served"]["source"]["en"].startswith("China Reform Net")
    assert body["people_served_recorded"] == 2046


def test_the_ranking_and_bulletins_carry_one_illustrative_notice(demo_data):
    page = Client().get("/en/medical/").content.decode()

    def section(name):
        start = page.index(f'<h2 id="{name}">')
        return page[start : page.index("</section>", start)]

    for name in ("leaderboard", "bulletins"):
        assert section(name).count("data-illustrative-notice") == 1
    assert "assesses no real organisation" in section("leaderboard")
    assert "not issued by the health commission" in section("bulletins")
    assert " late" not in section("bulletins")
    assert "延期" not in Client().get("/medical/").content.decode()
    assert Client().get("/api/v1/medical/leaderboard/").json()["illustrative"] is True
