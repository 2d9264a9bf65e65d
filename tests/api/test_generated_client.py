"""A client generated from the schema with openapi-python-client, and nothing else, claims an
item, reports, delivers, pages through the ledger and reads the reports back from a live server:
the schema is one a generated client can trust."""

import datetime
import importlib
import io
import json
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.core.management import call_command
from openapi_python_client import generate
from openapi_python_client.config import Config, ConfigFile, MetaType

from api.callers import Caller
from api.capabilities import MEDICAL_CLAIM
from api.keys import issue_api_key
from api.models import ApiKey
from funding.selectors import entries_visible_to
from tests.medical.factories import donor_side, published_item

PACKAGE = "aidportal_client"


@pytest.fixture
def client_package(live_server, tmp_path, monkeypatch):
    """The client package, generated from the schema the live server serves."""
    schema = requests.get(
        f"{live_server.url}/api/v1/schema/?format=json",
        headers={"Accept-Language": "en"},
        timeout=30,
    )
    schema.raise_for_status()
    document = tmp_path / "schema.json"
    document.write_text(json.dumps(schema.json()))
    config = Config.from_sources(
        # No formatting after generation: the code is only imported.
        ConfigFile(package_name_override=PACKAGE, post_hooks=[]),
        MetaType.NONE,
        document,
        "utf-8",
        overwrite=True,
        output_path=tmp_path / PACKAGE,
    )
    errors = generate(config=config)
    assert errors == [], [str(error) for error in errors]
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in [name for name in importlib.sys.modules if name.startswith(PACKAGE)]:
        monkeypatch.delitem(importlib.sys.modules, name)
    return importlib.import_module(PACKAGE)


def _module(name: str):
    return importlib.import_module(f"{PACKAGE}.{name}")


@pytest.mark.django_db(transaction=True)
def test_a_generated_client_claims_reports_delivers_pages_the_ledger_and_reads_reports(
    live_server, client_package
):
    call_command("load_demo", stdout=io.StringIO())
    item = published_item()
    claimant = donor_side(item)
    key = issue_api_key(
        organisation=claimant, name="generated client", capabilities=[MEDICAL_CLAIM]
    )[1]
    client = client_package.AuthenticatedClient(base_url=live_server.url, token=key)
    models = _module("models")
    medical = "api.medical."

    claimed = _module(medical + "medical_items_claim_create").sync_detailed(
        id=item.pk, client=client, body=models.ClaimInput(pledge="Two surgeons for a month")
    )
    assert claimed.status_code == 201
    claim = claimed.parsed
    assert isinstance(claim, models.Claim)
    assert claim.item == item.pk
    assert claimed.headers["Location"].endswith(f"/api/v1/medical/claims/{claim.id}/")

    today = datetime.date.today()
    for text in ("The team arrived.", "First operations done."):
        reported = _module(medical + "medical_claims_reports_create").sync_detailed(
            id=claim.id, client=client, body=models.ReportInput(date=today, text=text)
        )
        assert reported.status_code == 201
        assert isinstance(reported.parsed, models.Report)

    delivered = _module(medical + "medical_claims_deliver_create").sync_detailed(
        id=claim.id, client=client, body=models.DeliverInput(summary="Forty patients treated.")
    )
    assert delivered.status_code == 200
    assert isinstance(delivered.parsed, models.Claim)
    assert delivered.parsed.status == models.MedicalClaimStatusEnum.DELIVERED

    reports = _module(medical + "medical_claims_reports_list").sync(id=claim.id, client=client)
    assert [report.text for report in reports] == ["The team arrived.", "First operations done."]

    list_entries = _module("api.funding.funding_entries_list")
    seen, cursor = [], None
    while True:
        page = list_entries.sync(
            client=client, page_size=7, **({"cursor": cursor} if cursor else {})
        )
        assert isinstance(page, models.PaginatedLedgerEntryOutputList)
        seen += [entry.id for entry in page.results]
        if not page.next_:
            break
        (cursor,) = parse_qs(urlsplit(page.next_).query)["cursor"]
    visible = entries_visible_to(Caller(user=None, key=ApiKey.objects.get(organisation=claimant)))
    assert len(seen) == len(set(seen)) > 7
    assert sorted(seen) == sorted(visible.values_list("pk", flat=True))
