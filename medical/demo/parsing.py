"""Reading and checking the demo medical file: every record is checked, and the file's totals
against the figures the report states, before `medical.demo.writing` writes anything."""

import datetime
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from core.demo import DemoDataError, Record, day, fields, money, section
from medical.models import Bulletin, Category
from reference.models import DatePrecision, Organisation

CONDITIONS = ("spine", "knee", "hip")


@dataclass(frozen=True)
class Parsed:
    """The file, checked: what `medical.demo.writing` writes."""

    parties: dict[str, Organisation]
    claimants: list[Record]
    lists: list[Record]
    outreach: dict[str, list[Record]]
    bulletins: list[Record]


def parse(document: Record, *, known: dict[str, Organisation]) -> Parsed:
    """Check the whole file against the organisations already `known`, before any write."""
    parties = {}
    for role in ("issuer", "collected_by", "requested_by", "firsts_hospital"):
        if document.get(role) not in known:
            raise DemoDataError(f"{role}: unknown organisation {document.get(role)!r}.")
        parties[role] = known[document[role]]
    claimants = []
    for index, record in enumerate(section(document, "claimants"), start=1):
        label = f"claimant #{index}"
        fields(
            record,
            label=label,
            required={"code", "name", "short_name", "parent"},
            optional={"illustrative"},
        )
        if record["parent"] not in known:
            raise DemoDataError(f"{label}: unknown parent organisation {record['parent']!r}.")
        claimants.append(
            {
                "code": str(record["code"]),
                "parent": known[record["parent"]],
                **_text(record, "name", label=label),
                **_text(record, "short_name", label=label),
            }
        )
    codes = {c["code"] for c in claimants} | set(known)
    placeholders = {code: Organisation(code=code) for code in codes}
    lists = _parse_lists(document, organisations=placeholders)
    outreach = _parse_outreach(document)
    bulletins = []
    batches = {spec["batch"] for spec in lists}
    for index, record in enumerate(section(document, "bulletins"), start=1):
        label = f"bulletin #{index}"
        fields(
            record,
            label=label,
            required={"kind", "batch", "published_on", "title", "body", "organisations"},
            optional=set(),
        )
        if record["kind"] not in Bulletin.Kind.values:
            raise DemoDataError(f"{label}: unknown kind {record['kind']!r}.")
        # Every demo bulletin is illustrative but names real organisations: none may criticise.
        if record["kind"] != Bulletin.Kind.COMMENDATION:
            raise DemoDataError(
                f"{label}: an illustrative bulletin names real organisations, so it may only "
                "commend them, not be a notice."
            )
        if record["batch"] not in batches:
            raise DemoDataError(f"{label}: unknown batch {record['batch']!r}.")
        unknown = set(record["organisations"] or []) - codes
        if unknown:
            raise DemoDataError(f"{label}: unknown organisations {', '.join(sorted(unknown))}.")
        bulletins.append(
            {
                "kind": record["kind"],
                "batch": record["batch"],
                "published_on": day(record.get("published_on"), label=f"{label}: published_on"),
                "organisations": list(record["organisations"]),
                **_text(record, "title", label=label),
                **_text(record, "body", label=label),
            }
        )
    _check_expected(document.get("expected") or {}, lists=lists, outreach=outreach)
    return Parsed(
        parties=parties, claimants=claimants, lists=lists, outreach=outreach, bulletins=bulletins
    )


def _date(value: Any, *, label: str) -> tuple[datetime.date, str]:
    """A day (YYYY-MM-DD) or a month (YYYY-MM), with its precision."""
    if isinstance(value, datetime.date):
        return value, DatePrecision.DAY
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}", value):
        year, month = map(int, value.split("-"))
        try:
            return datetime.date(year, month, 1), DatePrecision.MONTH
        except ValueError:
            pass
    raise DemoDataError(f"{label}: {value!r} is not a date (YYYY-MM-DD or YYYY-MM).")


def _text(record: Record, name: str, *, label: str) -> Record:
    value = record.get(name)
    if not isinstance(value, dict) or not value.get("zh_hans") or set(value) - {"zh_hans", "en"}:
        raise DemoDataError(f"{label}: {name} needs zh_hans (and may have en).")
    return {f"{name}_zh_hans": str(value["zh_hans"]), f"{name}_en": str(value.get("en") or "")}


def _count(value: Any, *, label: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise DemoDataError(f"{label}: {value!r} is not a count.")
    return value


def _funds(value: Any, *, label: str) -> Decimal:
    amount = money(value, label=label)
    if amount < 0:
        raise DemoDataError(f"{label}: {value!r} is not an amount in CNY with two decimals.")
    return amount


def _parse_lists(document: Record, *, organisations: dict[str, Organisation]) -> list[Record]:
    parsed = []
    batches = set()
    for index, record in enumerate(section(document, "lists"), start=1):
        label = f"list #{index}"
        fields(
            record,
            label=label,
            required={
                "batch",
                "title",
                "needs_collected_on",
                "published_on",
                "claim_deadline",
                "delivery_deadline",
                "claimed_on",
                "verified_on",
                "closed_on",
                "items",
            },
            optional=set(),
        )
        batch = _count(record["batch"], label=label)
        if batch in batches:
            raise DemoDataError(f"{label}: batch {batch} is listed twice.")
        batches.add(batch)
        label = f"list {batch}"
        days = {
            name: day(record.get(name), label=f"{label}: {name}")
            for name in (
                "needs_collected_on",
                "published_on",
                "claim_deadline",
                "delivery_deadline",
                "claimed_on",
                "verified_on",
                "closed_on",
            )
        }
        order = ["needs_collected_on", "published_on", "claimed_on", "verified_on", "closed_on"]
        if sorted(order, key=lambda name: days[name]) != order:
            raise DemoDataError(f"{label}: the dates must follow {', '.join(order)}.")
        if not days["published_on"] <= days["claimed_on"] <= days["claim_deadline"]:
            raise DemoDataError(f"{label}: claims must fall between publication and deadline.")
        items = []
        numbers = set()
        for item in section(record, "items"):
            item_label = f"{label} item {item.get('number') if isinstance(item, dict) else '?'}"
            fields(
                item,
                label=item_label,
                required={"number", "category", "claimant", "delivered_on", "score", "title"},
                optional=set(),
            )
            number = _count(item["number"], label=item_label)
            if number in numbers:
                raise DemoDataError(f"{item_label}: listed twice.")
            numbers.add(number)
            if item["category"] not in Category.values:
                raise DemoDataError(f"{item_label}: unknown category {item['category']!r}.")
            if item["claimant"] not in organisations:
                raise DemoDataError(f"{item_label}: unknown claimant {item['claimant']!r}.")
            delivered_on = day(item.get("delivered_on"), label=f"{item_label}: delivered_on")
            if not days["claimed_on"] <= delivered_on <= days["verified_on"]:
                raise DemoDataError(
                    f"{item_label}: delivery must fall between the claim and the verification."
                )
            # The demo's dates are made up, its claimants real: no made-up date may show a
            # real health bureau late.
            if delivered_on > days["delivery_deadline"]:
                raise DemoDataError(
                    f"{item_label}: delivered after the list's deadline; illustrative dates "
                    "must not show a real organisation late."
                )
            score = _count(item["score"], label=item_label)
            if score > 100:
                raise DemoDataError(f"{item_label}: a score is 0 to 100.")
            items.append(
                {
                    "number": number,
                    "category": item["category"],
                    "claimant": item["claimant"],
                    "delivered_on": delivered_on,
                    "score": score,
                    **_text(item, "title", label=item_label),
                }
            )
        if not items:
            raise DemoDataError(f"{label}: a list has at least one item.")
        parsed.append(
            {"batch": batch, **_text(record, "title", label=label), **days, "items": items}
        )
    return parsed


def _parse_outreach(document: Record) -> dict[str, list[Record]]:
    clinics = []
    team = _text(document, "clinic_team", label="clinic_team")
    for index, record in enumerate(section(document, "clinics"), start=1):
        label = f"clinic #{index}"
        fields(
            record,
            label=label,
            required={"number", "date", "venue", "people_served"},
            optional=set(),
        )
        date, precision = _date(record["date"], label=label)
        clinics.append(
            {
                "number": _count(record["number"], label=label),
                "date": date,
                "date_precision": precision,
                **_text(record, "venue", label=label),
                "team_zh_hans": team["clinic_team_zh_hans"],
                "team_en": team["clinic_team_en"],
                "people_served": _count(record["people_served"], label=label),
                "illustrative": True,
            }
        )
    charity = []
    for index, record in enumerate(section(document, "charity_batches"), start=1):
        label = f"charity batch #{index}"
        fields(
            record,
            label=label,
            required={"number", "date", "patients", "funds", "conditions"},
            optional=set(),
        )
        date, precision = _date(record["date"], label=label)
        conditions = record["conditions"]
        if not isinstance(conditions, list) or not conditions or set(conditions) - set(CONDITIONS):
            raise DemoDataError(f"{label}: conditions are some of {', '.join(CONDITIONS)}.")
        charity.append(
            {
                "number": _count(record["number"], label=label),
                "date": date,
                "date_precision": precision,
                "patients": _count(record["patients"], label=label),
                "funds": _funds(record["funds"], label=label),
                **{name: name in conditions for name in CONDITIONS},
                "illustrative": True,
            }
        )
    firsts = []
    for index, record in enumerate(section(document, "firsts"), start=1):
        label = f"first #{index}"
        fields(record, label=label, required={"code", "date", "what"}, optional=set())
        date, precision = _date(record["date"], label=label)
        firsts.append(
            {
                "code": str(record["code"]),
                "date": date,
                "date_precision": precision,
                **_text(record, "what", label=label),
                "illustrative": True,
            }
        )
    return {"clinics": clinics, "charity": charity, "firsts": firsts}


def _check_expected(expected: Record, *, lists: list[Record], outreach: dict) -> None:
    """The file must add up to what the report states, before anything is written."""
    items = [item for call_list in lists for item in call_list["items"]]
    found = {
        "lists": len(lists),
        "items": len(items),
        "claimants": len({item["claimant"] for item in items}),
        "clinics": len(outreach["clinics"]),
        "charity_batches": len(outreach["charity"]),
        "charity_funds": sum((row["funds"] for row in outreach["charity"]), Decimal("0")),
        "charity_patients": sum(row["patients"] for row in outreach["charity"]),
        "firsts": len(outreach["firsts"]),
    }
    for name, value in found.items():
        if name in expected:
            wanted = Decimal(str(expected[name])) if name == "charity_funds" else expected[name]
            if value != wanted:
                raise DemoDataError(
                    f"expected: {name} adds up to {value}, the file expects {wanted}."
                )
    people = sum(row["people_served"] for row in outreach["clinics"])
    if "people_served_over" in expected and people <= expected["people_served_over"]:
        raise DemoDataError(
            f"expected: the clinics served {people}, the report says over "
            f"{expected['people_served_over']}."
        )
