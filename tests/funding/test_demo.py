"""The demo ledger reproduces the report's figures, from entries posted through the services, and
loading it again writes nothing."""

import io
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from django.apps import apps
from django.core.management import CommandError, call_command

from core.demo import DemoDataError
from funding import selectors
from funding.demo import DEFAULT_PATH, load_demo
from funding.models import BudgetLine, Donation, LedgerEntry, ProjectFunding
from reference.models import Programme

pytestmark = pytest.mark.django_db


def snapshot() -> dict[str, list[dict]]:
    """Every row of every funding table."""
    return {
        model._meta.label: list(model._default_manager.order_by("pk").values())
        for model in apps.get_app_config("funding").get_models()
    }


def broken_copy(tmp_path: Path, change) -> Path:
    document = yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))
    change(document)
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture
def scope(demo_data):
    programme = Programme.objects.get(code="hangzhou-seni")
    return selectors.projects_in_scope(public=True, programme=programme, period="14th")


def test_the_ledger_gives_the_reported_totals(scope):
    figures = selectors.totals(scope)

    assert scope.projects().count() == 19
    assert figures.planned == Decimal("410050000.00")
    assert figures.arrived == Decimal("303760000.00")
    assert figures.disbursed == Decimal("248450000.00")
    assert figures.pending == Decimal("0")


def test_the_2023_payment_rate_is_exactly_134_percent(scope):
    (year,) = selectors.by_year(scope, year=2023)

    assert year.payment_rate == Decimal("1.34")
    assert year.disbursed == Decimal("87100000.00")
    assert year.due == Decimal("65000000.00")


def test_the_invented_split_is_marked_illustrative(scope):
    assert LedgerEntry.objects.count() > 19
    assert not LedgerEntry.objects.filter(illustrative=False).exists()
    assert not BudgetLine.objects.filter(illustrative=False).exists()
    assert all(e.voucher.startswith("DEMO-") for e in LedgerEntry.objects.all())


def test_arrivals_cover_disbursements_project_by_project(scope):
    for row in ProjectFunding.objects.filter(project__in=scope.projects()):
        assert row.disbursed <= row.arrived, row.project.code
        assert row.beyond_arrivals == 0
    assert not LedgerEntry.objects.filter(beyond_arrivals=True).exists()
    assert not LedgerEntry.objects.filter(needs_approval=True).exists()


def test_donations(scope):
    totals = selectors.donation_totals(selectors.donations(public=True))

    assert totals["total"] == Decimal("11350000.00")
    assert totals["goods_for_students"] == Decimal("6200000.00")
    assert totals["money"] + totals["goods"] == totals["total"]
    first = Donation.objects.get(donor__code="dl-hangzhou", kind="goods")
    assert first.value == Decimal("1100000.00")
    assert "豆苞女孩" in first.purpose_zh_hans
    assert "Doubao Girls" in first.purpose_en


def test_check_ledger_passes(scope):
    out = io.StringIO()

    call_command("check_ledger", stdout=out)

    assert "agree for 19 projects" in out.getvalue()


def test_a_second_load_writes_nothing(scope):
    before = snapshot()

    out = io.StringIO()
    call_command("load_demo", stdout=out)

    assert snapshot() == before
    assert "LedgerEntry: 0 created, 0 updated, 163 unchanged" in out.getvalue()
    assert "BudgetLine: 0 created, 0 updated" in out.getvalue()
    assert "Donation: 0 created, 0 updated, 8 unchanged" in out.getvalue()


def test_a_changed_posted_entry_is_refused_not_updated(scope, tmp_path):
    before = snapshot()

    def change(document):
        document["entries"][0]["amount"] = "4999999.00"
        document["expected"].pop("arrived")

    with pytest.raises(DemoDataError, match=r"DEMO-2021-0001.*never changed"):
        load_demo(broken_copy(tmp_path, change))
    assert snapshot() == before


def test_a_file_that_does_not_add_up_is_refused_and_nothing_written(scope, tmp_path):
    before = snapshot()

    def change(document):
        document["entries"].append(
            {**document["entries"][-1], "voucher": "DEMO-2024-9999", "amount": "100000.00"}
        )

    with pytest.raises(DemoDataError, match=r"disbursed adds up to 248550000\.00"):
        load_demo(broken_copy(tmp_path, change))
    assert snapshot() == before


def test_a_disbursement_before_its_arrival_rolls_everything_back(tmp_path):
    from projects.demo import load_demo as load_projects

    load_projects()

    def change(document):
        entries = document["entries"]
        # The first disbursement moved ahead of every arrival.
        first = next(e for e in entries if e["type"] == "disbursement")
        entries.remove(first)
        entries.insert(0, first)

    # The loader writes in the default language, so the refusal names the entry in Chinese.
    with pytest.raises(DemoDataError, match=r"entry 'DEMO-.*无法拨付"):
        load_demo(broken_copy(tmp_path, change))
    assert not LedgerEntry.objects.exists()
    assert not BudgetLine.objects.exists()


def test_the_command_reports_a_bad_funding_file_and_loads_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(
        "funding.demo.DEFAULT_PATH",
        broken_copy(tmp_path, lambda d: d["entries"][0].update(project="NOPE-1")),
    )

    with pytest.raises(CommandError, match=r"Nothing was loaded: .*unknown project 'NOPE-1'"):
        call_command("load_demo", stdout=io.StringIO())
    assert not Programme.objects.exists()
