import datetime
import io
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db.models import Sum

from core.demo import DemoDataError
from projects.demo import DEFAULT_PATH, load_demo
from projects.models import Milestone, Project
from reference.models import AidTeamBatch, ExchangeVisit, ReportedFigure

pytestmark = pytest.mark.django_db


def snapshot() -> dict[str, list[dict]]:
    """Every row of every table in the two apps, history tables included."""
    return {
        model._meta.label: list(model._default_manager.order_by("pk").values())
        for app in ("reference", "projects")
        for model in apps.get_app_config(app).get_models()
    }


def broken_copy(tmp_path: Path, change) -> Path:
    document = yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))
    change(document)
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return path


def project_in(document: dict, code: str) -> dict:
    return next(p for p in document["projects"] if p["code"] == code)


def test_loads_19_published_projects_adding_up_to_the_reported_total():
    out = io.StringIO()
    call_command("load_demo", stdout=out)

    assert "Project: 19 created, 0 updated, 0 unchanged" in out.getvalue()

    projects = Project.objects.filter(programme__code="hangzhou-seni", plan_period__code="14th")
    assert projects.count() == 19
    assert projects.filter(published=True).count() == 19
    total = projects.aggregate(total=Sum("planned_investment"))["total"]
    assert total == Decimal("410050000.00")
    assert all("planned_investment" in p.illustrative_fields for p in projects), (
        "the report gives only the total, so every per-project amount is illustrative"
    )


def test_every_project_has_both_titles():
    load_demo()

    for project in Project.objects.all():
        assert project.title_zh_hans and project.title_en, project.code


def test_tenth_batch_has_twelve_people():
    load_demo()

    batch = AidTeamBatch.objects.get(programme__code="hangzhou-seni", number=10)
    assert (batch.cadres, batch.medical, batch.lawyers) == (3, 8, 1)
    assert batch.head_count == 12
    assert batch.arrived_on == datetime.date(2022, 7, 1)
    assert batch.arrived_precision == "month"
    assert not batch.members.exists()


def test_exchange_aggregates():
    load_demo()

    exchanges = {e.direction: e for e in ExchangeVisit.objects.all()}
    to_donor, to_partner = exchanges["to_donor"], exchanges["to_partner"]
    assert (to_donor.groups, to_donor.person_times) == (17, 359)
    assert (to_partner.groups, to_partner.person_times) == (18, 155)
    assert not to_donor.illustrative and not to_partner.illustrative


def test_thirty_year_figures():
    load_demo()

    figures = {f.code: f for f in ReportedFigure.objects.all()}
    assert figures["batches-30y"].value == 10
    assert figures["people-30y"].value == 56
    assert figures["funds-30y"].value == Decimal("1100000000")
    assert figures["funds-30y"].qualifier == "nearly"  # 近11亿元
    assert figures["projects-30y"].value == 182
    assert figures["projects-30y"].qualifier == "nearly"  # 近182项
    assert {f.as_of for f in figures.values()} == {datetime.date(2024, 10, 18)}
    assert all("改革网" in f.source for f in figures.values())


def test_projects_the_report_names():
    load_demo()

    village = Project.objects.get(title_zh_hans__contains="杭嘉新村")
    assert (village.beneficiaries, village.beneficiary_unit) == (85, "households")
    assert village.place.name_zh_hans == "罗岗村"
    handover = village.milestones.get(kind=Milestone.Kind.HANDOVER)
    assert (handover.actual_date, handover.date_precision) == (datetime.date(2024, 6, 1), "month")
    assert not handover.illustrative

    renovation = Project.objects.get(title_zh_hans="第18片区棚改项目")
    assert (renovation.beneficiaries, renovation.beneficiary_unit) == (820, "homes")
    assert renovation.status == Project.Status.IMPLEMENTATION
    start = renovation.milestones.get(kind=Milestone.Kind.CONSTRUCTION_START)
    assert (start.actual_date, start.date_precision) == (datetime.date(2024, 7, 1), "month")
    assert not start.illustrative

    for title in (
        "杭嘉中学阳光大棚",
        "公安业务用房",
        "村级组织标准化场所",
        "智库建设",
        "乡镇基础设施",
        "塔恰拉姆生态公园",
        "色尼区医疗集团中心医院",
        "那曲市卫生院",
    ):
        project = Project.objects.get(title_zh_hans=title)
        assert "title" not in project.illustrative_fields
        assert project.status == Project.Status.FINALISATION


def test_invented_projects_say_so():
    load_demo()

    invented = Project.objects.filter(illustrative_fields__contains=["title"])
    assert invented.count() == 9


def test_second_load_changes_nothing():
    first = load_demo()
    assert first["Project"]["created"] == 19
    before = snapshot()

    second = load_demo()

    assert snapshot() == before
    assert all(c["created"] == c["updated"] == 0 for c in second.values()), second
    assert second["Project"]["unchanged"] == 19


def test_unknown_place_is_refused_and_nothing_written(tmp_path):
    def change(document):
        project_in(document, "HZSN-14-05")["place"] = "atlantis"

    before = snapshot()
    with pytest.raises(DemoDataError, match=r"HZSN-14-05.*unknown place 'atlantis'"):
        load_demo(broken_copy(tmp_path, change))
    assert snapshot() == before


def test_negative_investment_is_refused_and_a_loaded_database_is_left_alone(tmp_path):
    load_demo()
    before = snapshot()

    def change(document):
        project_in(document, "HZSN-14-07")["planned_investment"] = "-28000000.00"
        project_in(document, "HZSN-14-01")["title"]["en"] = "Renamed"

    with pytest.raises(CommandError, match=r"HZSN-14-07.*planned_investment"):
        call_command("load_demo", file=broken_copy(tmp_path, change))
    assert snapshot() == before


def test_totals_that_do_not_add_up_are_refused(tmp_path):
    def change(document):
        project_in(document, "HZSN-14-19")["planned_investment"] = "4750001.00"

    with pytest.raises(DemoDataError, match=r"plan period '14th'.*410050001\.00"):
        load_demo(broken_copy(tmp_path, change))
    assert not Project.objects.exists()
