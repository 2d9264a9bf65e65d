from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from core.demo import DemoDataError
from education import selectors
from education.demo import DEFAULT_PATH, load_demo
from education.models import Cohort, ReportedCohortFigure, SponsoredProgramme, Student

pytestmark = pytest.mark.django_db


@pytest.fixture
def loaded(demo_data):
    return SponsoredProgramme.objects.get(code="hailiang-class")


def test_the_class_as_the_report_states_it(loaded):
    assert loaded.host_school.code == "tianma-school"
    assert loaded.partner.code == "hailiang"
    assert str(loaded.started_on) == "2020-09-15"
    assert loaded.investment.value == Decimal("30000000") and loaded.investment.qualifier == "over"
    intakes = dict(
        Cohort.objects.filter(programme=loaded).values_list("intake_year", "reported_intake")
    )
    assert intakes == {2020: 30, 2021: 79, 2022: 81, 2023: 120, 2024: 120}
    assert sum(intakes[year] for year in (2020, 2021, 2022, 2023)) == 310
    assert Cohort.objects.get(programme=loaded, intake_year=2022).illustrative_fields == [
        "reported_intake"
    ]
    assert not Student.objects.exists()


def test_the_two_zhongkao_are_reported_aggregates(loaded):
    results = selectors.programme_figures(loaded).results

    rows = [
        (
            s.exam.code,
            s.cohort.intake_year,
            s.basis,
            s.sitting.value,
            s.mean.value,
            s.highest.value,
            s.in_area_top_n.value,
            s.area_top_n,
        )
        for s in results
    ]
    assert rows == [
        ("zhongkao-2023", 2020, "reported", 30, Decimal("799.5"), Decimal("870"), 19, 30),
        ("zhongkao-2024", 2021, "reported", 79, Decimal("790"), Decimal("865"), 40, 40),
    ]
    assert all("改革网" in s.source for s in results)


def test_a_second_load_writes_nothing(loaded):
    counts = load_demo()

    assert all(c["created"] == 0 and c["updated"] == 0 for c in counts.values()), counts


def test_a_file_that_does_not_add_up_is_refused_whole(loaded, tmp_path: Path):
    document = yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))
    document["sponsored_programmes"][0]["cohorts"][2]["reported_intake"] = 80
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")

    with pytest.raises(DemoDataError, match="309"):
        load_demo(path)
    assert Cohort.objects.get(programme=loaded, intake_year=2022).reported_intake == 81
    assert ReportedCohortFigure.objects.count() == 2
