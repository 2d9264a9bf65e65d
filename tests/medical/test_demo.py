"""The demo reproduces the report's medical figures, every list taken through its cycle by the
services, and loading it again writes nothing."""

import datetime
import re
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from django.apps import apps

from core.demo import DemoDataError
from medical import selectors
from medical.demo import DEFAULT_PATH, load_demo
from medical.models import CallItem, CallList, Claim, LeaderboardSnapshot, Transition
from reference.models import Programme

pytestmark = pytest.mark.django_db


def snapshot() -> dict[str, list[dict]]:
    return {
        model._meta.label: list(model._default_manager.order_by("pk").values())
        for model in apps.get_app_config("medical").get_models()
    }


def broken_copy(tmp_path: Path, change) -> Path:
    document = yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))
    change(document)
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture
def programme(demo_data):
    return Programme.objects.get(code="hangzhou-seni")


def test_the_demo_gives_the_reported_figures(programme):
    assert selectors.headline(programme) == {
        "lists": 3,
        "items": 25,
        "claimed": 25,
        "verified": 25,
        "claimants": 6,
    }
    assert CallList.objects.filter(status="closed").count() == 3
    assert LeaderboardSnapshot.objects.count() == 3
    assert set(CallItem.objects.values_list("status", flat=True)) == {"verified"}
    outreach = selectors.outreach(programme)
    assert outreach["clinic_count"] == 17 and outreach["people_served"] > 2000
    assert outreach["charity_count"] == 12
    assert outreach["charity_patients"] == 123
    assert outreach["charity_funds"] == Decimal("2500000.00")
    assert len(outreach["firsts"]) == 5
    board = selectors.overall_leaderboard(programme)
    assert [row.rank for row in board] == [1, 2, 3, 4, 5, 6]
    assert sum(row.verified for row in board) == 25


def test_every_claim_went_through_the_services(programme):
    for claim in Claim.objects.all():
        steps = list(
            Transition.objects.filter(entity="claim", object_id=claim.pk).values_list(
                "to_status", flat=True
            )
        )
        assert steps == ["active", "delivered", "verified"]


def test_a_second_load_writes_nothing(programme):
    before = snapshot()
    counts = load_demo()
    assert all(c["created"] == c["updated"] == 0 for c in counts.values()), counts
    assert snapshot() == before


def test_a_file_that_does_not_add_up_is_refused_and_nothing_written(demo_data, tmp_path):
    before = snapshot()

    def change(document):
        document["charity_batches"][0]["patients"] = 9

    with pytest.raises(DemoDataError, match="charity_patients adds up to 124"):
        load_demo(broken_copy(tmp_path, change))
    assert snapshot() == before


def test_an_unknown_claimant_is_named(programme, tmp_path):
    def change(document):
        document["lists"][0]["items"][0]["claimant"] = "nobody"

    with pytest.raises(DemoDataError, match="list 1 item 1: unknown claimant 'nobody'"):
        load_demo(broken_copy(tmp_path, change))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda document: document["bulletins"][1].update(kind="notice"),
            "bulletin #2: an illustrative bulletin names real organisations, so it may only "
            "commend them",
        ),
        (
            lambda document: document["lists"][1]["items"][7].update(delivered_on="2024-06-05"),
            "list 2 item 8: delivered after the list's deadline; illustrative dates must not "
            "show a real organisation late",
        ),
    ],
    ids=["notice bulletin", "late delivery"],
)
def test_made_up_records_never_call_a_real_organisation_late(demo_data, tmp_path, change, message):
    before = snapshot()

    def parse_dates(document):
        change(document)
        for item in document["lists"][1]["items"]:
            if isinstance(item["delivered_on"], str):
                item["delivered_on"] = datetime.date.fromisoformat(item["delivered_on"])

    with pytest.raises(DemoDataError, match=re.escape(message)):
        load_demo(broken_copy(tmp_path, parse_dates))
    assert snapshot() == before


def test_the_demo_has_no_late_delivery_and_no_notice(programme):
    board = selectors.overall_leaderboard(programme)
    assert {row.on_time_rate for row in board} == {Decimal("1")}
    assert set(selectors.published_bulletins(programme).values_list("kind", flat=True)) == {
        "commendation"
    }
