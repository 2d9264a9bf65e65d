import datetime
import re

import pytest

from education.services import release_results
from tests.education.factories import (
    CohortFactory,
    EnrolmentFactory,
    ExamFactory,
    enrol_with_results,
)

pytestmark = pytest.mark.django_db


def row(page: str, attribute: str) -> str:
    match = re.search(rf"<tr {attribute}.*?</tr>", page, re.S)
    assert match, attribute
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(0))).strip()


def test_the_page_tells_the_story_in_reported_figures(client, demo_data):
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


def test_the_home_page_has_the_headline_education_figures(client, demo_data):
    page = client.get("/en/").content.decode()

    assert 'data-section="education"' in page
    assert re.search(r'data-stat="edu-home-latest".*?stat-value">790<', page, re.S)
    assert 'href="/en/education/"' in page


def test_small_groups_show_as_less_than_five(client, school, released):
    page = client.get("/en/education/").content.decode()

    # Six students sat; 3 of them are in the area's top 30, a group of 3 either way.
    assert "&lt;5 of the top 30" in page
    assert "data-sitting>6<" in page


def test_without_a_class_there_is_no_page(client, db):
    assert client.get("/en/education/").status_code == 404


def test_withheld_figures_read_withheld_with_the_reason_not_less_than_five(client, school):
    """A figure withheld by differencing is over a group of at least 5: "<5" would be false."""
    exam = ExamFactory(code="zk-2024", date=datetime.date(2024, 6, 20), area_top_n=30)
    scores = [700 + i for i in range(12)]
    # 9 of 12 in the top 30: both groups are big, but 12 − 9 would give the 3 outside.
    enrol_with_results(school.cohort, exam, scores, ranks=[1] * 9 + [99] * 3)
    release_results(cohort=school.cohort, exam=exam, released_by=None)
    # Intakes 18, 7 and 3: the 3 is small, and 28 − 18 − 7 would give it back, so 7 goes too.
    for year, size in ((2021, 7), (2022, 3)):
        cohort = CohortFactory(programme=school.programme, intake_year=year)
        for _ in range(size):
            EnrolmentFactory(cohort=cohort)

    page = client.get("/en/education/").content.decode()
    chinese = client.get("/education/").content.decode()

    top_n = re.search(
        r'<tr data-exam="zk-2024".*?<td class="num" data-top-n([^>]*)>([^<]*)<', page, re.S
    )
    assert top_n.group(2) == "withheld (top 30)"
    assert 'title="Withheld because, with another published figure' in top_n.group(1)
    assert row(page, 'data-year="2020"').startswith("2020 18")
    assert row(page, 'data-year="2021"').startswith("2021 withheld")
    assert row(page, 'data-year="2022"').startswith("2022 &lt;5")
    assert "已隐去" in row(chinese, 'data-year="2021"')
    assert "Figures are published per release" in page
    # The reason is said under the table too, for those who cannot point at the cell.
    assert re.search(r"<p class=\"source\" data-withheld>“withheld”: Withheld because", page)


@pytest.mark.parametrize(("prefix", "headline"), [("", "310人"), ("/en", "310 students")])
def test_the_headline_is_the_reported_310_not_the_sum_of_intakes(
    client, demo_data, prefix, headline
):
    for url in (f"{prefix}/", f"{prefix}/education/"):
        page = client.get(url).content.decode()
        assert re.search(
            rf'data-stat="edu(-home)?-enrolled".*?stat-value">{headline}<', page, re.S
        ), url
        assert 'data-source="hailiang-class-enrolled"' in page
    # The sum of the five intakes stays off the home page.
    assert ">430<" not in client.get(f"{prefix}/").content.decode()


def test_the_seni_graduates_are_not_the_class_after_graduation(client, demo_data):
    page = client.get("/en/education/").content.decode()

    assert 'id="edu-placements"' not in page  # the class has no graduates in work yet
    section = page[page.index('id="edu-district-graduates"') :]
    section = section[: section.index("</section>")]
    assert 'data-kind="job"' in section and "not pupils of the class" in section
