"""Load the demo funding file (demo/hangzhou_seni_funding.yaml): budget lines, ledger entries and
donations, after the projects they refer to.

Ledger entries are append-only, so they are never updated: each is keyed by its voucher number,
posted through `funding.services.record_entry` when it is not in the ledger yet, skipped when it
is, and refused when the ledger holds a different entry under that voucher. Budget lines and
donations are found by their natural key and saved only when a value differs, so a second load
writes nothing. The file's own totals are checked against the figures the report states before
anything is written; any error raises DemoDataError and the whole load is rolled back.
"""

from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from core.demo import (
    CREATED,
    UNCHANGED,
    Counts,
    DemoDataError,
    Record,
    Tally,
    day,
    fields,
    money,
    read,
    section,
    translated,
)
from funding import rollups, services
from funding.models import BudgetLine, Donation, LedgerEntry
from projects.models import Project
from reference.models import Organisation, Programme

DEFAULT_PATH = Path(settings.BASE_DIR) / "demo" / "hangzhou_seni_funding.yaml"
MODELS = (BudgetLine, LedgerEntry, Donation)
ZERO = Decimal("0")


def _parse_entries(items: list[Record], *, projects: dict[str, Project]) -> list[Record]:
    """Every entry checked and converted, before anything is written."""
    parsed: list[Record] = []
    seen: set[str] = set()
    for index, item in enumerate(items, start=1):
        label = f"entry {item.get('voucher')!r}" if isinstance(item, dict) else f"entry #{index}"
        fields(
            item,
            label=label,
            required={"voucher", "project", "type", "date", "amount"},
            optional={"note", "illustrative"},
        )
        voucher = str(item["voucher"])
        if voucher in seen:
            raise DemoDataError(f"{label}: listed twice.")
        seen.add(voucher)
        if item["project"] not in projects:
            raise DemoDataError(f"{label}: unknown project {item['project']!r}.")
        if item["type"] not in LedgerEntry.Type.values:
            raise DemoDataError(f"{label}: unknown type {item['type']!r}.")
        day(item["date"], label=label)
        amount = money(item["amount"], label=label)
        if item["type"] in services.APPROVED_TYPES and amount > services.approval_threshold():
            raise DemoDataError(
                f"{label}: {amount} is above the approval threshold and would wait for a "
                "second approval; split it into smaller entries."
            )
        parsed.append(
            {
                "label": label,
                "voucher": voucher,
                "project": projects[item["project"]],
                "type": item["type"],
                "date": item["date"],
                "amount": amount,
                "note": str(item.get("note") or ""),
                "illustrative": bool(item.get("illustrative", False)),
            }
        )
    return parsed


def _check_expected(
    expected: Record, *, entries: list[Record], budget_lines: list[Record], donations: list[Record]
) -> None:
    """The file must add up to what the report states, before anything is written."""
    period = str(expected.get("plan_period", ""))
    sums = {LedgerEntry.Type.INCOMING_FUNDS: ZERO, LedgerEntry.Type.DISBURSEMENT: ZERO}
    disbursed_in: Counter = Counter()
    for entry in entries:
        plan_period = entry["project"].plan_period
        if entry["type"] in sums and plan_period and plan_period.code == period:
            sums[entry["type"]] += entry["amount"]
        if entry["type"] == LedgerEntry.Type.DISBURSEMENT:
            disbursed_in[entry["date"].year] += entry["amount"]
    for name, type_ in (
        ("arrived", LedgerEntry.Type.INCOMING_FUNDS),
        ("disbursed", LedgerEntry.Type.DISBURSEMENT),
    ):
        if name in expected and sums[type_] != Decimal(str(expected[name])):
            raise DemoDataError(
                f"entries: {name} adds up to {sums[type_]} in plan period {period!r}, "
                f"the file expects {expected[name]}."
            )
    due_in: defaultdict[int, Decimal] = defaultdict(Decimal)
    for item in budget_lines:
        for year, amount in (item.get("due") or {}).items():
            due_in[int(year)] += money(amount, label=f"budget lines {year}")
    for year, rate in (expected.get("payment_rates") or {}).items():
        due, paid = due_in[int(year)], disbursed_in[int(year)]
        actual = paid / due if due else None
        if actual != Decimal(str(rate)):
            raise DemoDataError(
                f"entries: the {year} payment rate is {actual} ({paid} ÷ {due}), "
                f"the file expects {rate}."
            )
    total = for_students = ZERO
    for index, item in enumerate(donations, start=1):
        value = money(item.get("value"), label=f"donation #{index}")
        total += value
        if item.get("kind") == Donation.Kind.GOODS and item.get("beneficiaries") == "students":
            for_students += value
    for name, value in (("donations", total), ("goods_for_students", for_students)):
        if name in expected and value != Decimal(str(expected[name])):
            raise DemoDataError(
                f"donations: {name} adds up to {value}, the file expects {expected[name]}."
            )


def _load_budget_lines(items: list[Record], *, projects: dict[str, Project], tally: Tally) -> None:
    for item in items:
        label = f"budget lines of {item.get('project')!r}" if isinstance(item, dict) else "budget"
        fields(item, label=label, required={"project", "due"}, optional={"illustrative"})
        project = projects.get(item["project"])
        if project is None:
            raise DemoDataError(f"{label}: unknown project {item['project']!r}.")
        for year, amount in item["due"].items():
            where = f"{label} {year}"
            tally.write(
                BudgetLine,
                lookup={"project": project, "year": year, "kind": BudgetLine.Kind.ORIGINAL},
                values={
                    "amount": money(amount, label=where),
                    "illustrative": item.get("illustrative", False),
                },
                label=where,
            )


def _post_entries(
    entries: list[Record],
    *,
    parties: Record,
    organisations: dict[str, Organisation],
    tally: Tally,
) -> None:
    """Post the entries not in the ledger yet, in the file's order (arrivals before the
    disbursements they cover); skip those already posted; never change one."""
    posted = {
        entry.voucher: entry
        for entry in LedgerEntry.objects.filter(
            voucher__in=[e["voucher"] for e in entries], reverses__isnull=True
        )
    }
    for entry in entries:
        existing = posted.get(entry["voucher"])
        if existing is not None:
            want = (entry["project"].pk, entry["type"], entry["date"], entry["amount"])
            have = (existing.project_id, existing.type, existing.date, existing.amount)
            if have != want:
                raise DemoDataError(
                    f"{entry['label']}: the ledger already holds this voucher as "
                    f"{existing}; posted entries are never changed: post a reversal instead."
                )
            tally.add("LedgerEntry", UNCHANGED)
            continue
        who = parties.get(entry["type"]) or {}
        try:
            services.record_entry(
                project=entry["project"],
                type=entry["type"],
                date=entry["date"],
                amount=entry["amount"],
                provider=organisations.get(who.get("provider", "")),
                receiver=organisations.get(who.get("receiver", "")),
                voucher=entry["voucher"],
                note=entry["note"],
                illustrative=entry["illustrative"],
            )
        except ValidationError as exc:
            raise DemoDataError(f"{entry['label']}: {'; '.join(exc.messages)}") from exc
        except services.BeyondArrivals as exc:
            raise DemoDataError(f"{entry['label']}: {exc}") from exc
        tally.add("LedgerEntry", CREATED)


def _load_donations(
    items: list[Record],
    *,
    programme: Programme,
    organisations: dict[str, Organisation],
    tally: Tally,
) -> None:
    for index, item in enumerate(items, start=1):
        label = f"donation #{index}"
        fields(
            item,
            label=label,
            required={"date", "kind", "value", "beneficiaries", "purpose"},
            optional={"donor", "donor_name", "illustrative", "published"},
        )
        donor = item.get("donor")
        if donor is not None and donor not in organisations:
            raise DemoDataError(f"{label}: unknown organisation {donor!r}.")
        purpose = translated(item, "purpose", label=label)
        tally.write(
            Donation,
            lookup={
                "programme": programme,
                "date": item["date"],
                "purpose_zh_hans": purpose["purpose_zh_hans"],
            },
            values={
                "purpose_en": purpose["purpose_en"],
                "kind": item["kind"],
                "value": money(item["value"], label=label),
                "donor": organisations.get(donor) if donor is not None else None,
                **translated(item, "donor_name", label=label, required=False),
                "beneficiaries": item["beneficiaries"],
                "illustrative": item.get("illustrative", False),
                "published": item.get("published", True),
            },
            label=label,
        )


@transaction.atomic
def load_demo(path: Path | None = None) -> Counts:
    """Load the demo funding file; return created/updated/unchanged counts per model."""
    document = read(Path(path) if path else DEFAULT_PATH)
    try:
        programme = Programme.objects.get(code=document.get("programme"))
    except Programme.DoesNotExist:
        raise DemoDataError(
            f"programme {document.get('programme')!r} is not loaded: load the projects first."
        ) from None
    projects = {
        p.code: p for p in Project.objects.filter(programme=programme).select_related("plan_period")
    }
    organisations = {o.code: o for o in Organisation.objects.all()}
    parties = document.get("parties") or {}
    for who in parties.values():
        for code in who.values():
            if code not in organisations:
                raise DemoDataError(f"parties: unknown organisation {code!r}.")
    budget_lines = section(document, "budget_lines")
    donations = section(document, "donations")
    entries = _parse_entries(section(document, "entries"), projects=projects)
    _check_expected(
        document.get("expected") or {},
        entries=entries,
        budget_lines=budget_lines,
        donations=donations,
    )
    tally = Tally(model.__name__ for model in MODELS)
    # Many changes at once: the programme rollups are rebuilt once at the end.
    with rollups.deferred_rollups():
        _load_budget_lines(budget_lines, projects=projects, tally=tally)
        _post_entries(entries, parties=parties, organisations=organisations, tally=tally)
    _load_donations(
        donations,
        programme=programme,
        organisations=organisations,
        tally=tally,
    )
    return tally.as_dict()
