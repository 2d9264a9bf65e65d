import io
import re

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    call_command("load_demo", stdout=io.StringIO())


def row(page: str, attribute: str) -> str:
    match = re.search(rf"<tr {attribute}.*?</tr>", page, re.S)
    assert match, attribute
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(0))).strip()


def test_the_page_tells_the_story_in_reported_figures(client, demo):
    page = client.get("/en/education/").content.decode()

    assert "Hailiang aid class" in page
    assert row(page, 'data-exam="zhongkao-2023"') == (
        "2023 zhongkao 2020 30 799.5 870 19 of the top 30 reported"
    )
    assert row(page, 'data-exam="zhongkao-2024"') == (
        "2024 zhongkao 2021 79 790 865 40 of the top 40 reported"
    )
    assert 'data-year="2022"' in page and "illustrative" in row(page, 'data-year="2022"')
    # The headline is the reported 310; the sum of the intakes is labelled as computed.
    assert re.search(r'data-stat="edu-enrolled".*?stat-value">310 students<', page, re.S)
    assert re.search(
        r'data-stat="edu-admitted".*?All intakes \(computed\).*?stat-value">430<.*?'
        r"added up: 30 \+ 79 \+ 81 \+ 120 \+ 120<",
        page,
        re.S,
    )
    assert re.search(r'data-stat="edu-invested".*?stat-value">over CNY 30 million<', page, re.S)
    assert "Source" in page and "China Reform Net" in page
    assert row(page, 'data-kind="job"').endswith("9")
    # The placement's province and job fair in the page's language.
    assert "Zhejiang" in row(page, 'data-kind="job"') and "浙江" not in page
    assert "浙江" in client.get("/education/").content.decode()


def test_the_home_page_has_the_headline_education_figures(client, demo):
    page = client.get("/en/").content.decode()

    assert 'data-section="education"' in page
    assert re.search(r'data-stat="edu-home-latest".*?stat-value">790<', page, re.S)
    assert 'href="/en/education/"' in page


def test_small_groups_show_as_less_than_five(client, school):
    page = client.get("/en/education/").content.decode()

    # Six students sat; 3 of them are in the area's top 30, a group of 3 either way.
    assert "&lt;5 of the top 30" in page
    assert "data-sitting>6<" in page


def test_without_a_class_there_is_no_page(client, db):
    assert client.get("/en/education/").status_code == 404


@pytest.mark.parametrize(("prefix", "headline"), [("", "310人"), ("/en", "310 students")])
def test_the_headline_is_the_reported_310_not_the_sum_of_intakes(client, demo, prefix, headline):
    for url in (f"{prefix}/", f"{prefix}/education/"):
        page = client.get(url).content.decode()
        assert re.search(
            rf'data-stat="edu(-home)?-enrolled".*?stat-value">{headline}<', page, re.S
        ), url
        assert 'data-source="hailiang-class-enrolled"' in page
    # The sum of the five intakes stays off the home page.
    assert ">430<" not in client.get(f"{prefix}/").content.decode()


def test_the_seni_graduates_are_not_the_class_after_graduation(client, demo):
    page = client.get("/en/education/").content.decode()

    assert 'id="edu-placements"' not in page  # the class has no graduates in work yet
    section = page[page.index('id="edu-district-graduates"') :]
    section = section[: section.index("</section>")]
    assert 'data-kind="job"' in section and "not pupils of the class" in section
