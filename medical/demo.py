"""Load the demo medical file (demo/hangzhou_seni_medical.yaml): the claiming institutions, three
open-call lists taken through their whole cycle by `medical.services`, bulletins, free clinics,
the 抬头挺胸 batches and the hospital firsts.

Everything is read and checked first, the file's totals against the figures the report states
included; only then is anything written. Records are found by their natural key and saved only
when a value differs, and a list that already exists is not taken through its cycle again, so
a second load writes nothing. Any error raises DemoDataError and the whole load rolls back.
"""

import datetime
import re
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from core.demo import CREATED, UNCHANGED, UPDATED, DemoDataError, fields, read, upsert
from core.exceptions import Conflict
from medical import services
from medical.models import (
    Bulletin,
    CallItem,
    CallList,
    Category,
    CharityBatch,
    Claim,
    FreeClinic,
    HospitalFirst,
    Need,
)
from reference.models import DatePrecision, Organisation, Programme

DEFAULT_PATH = Path(settings.BASE_DIR) / "demo" / "hangzhou_seni_medical.yaml"
CLAIMANTS = "Claimant organisation"
MODELS = (
    CLAIMANTS,
    "Need",
    "CallList",
    "CallItem",
    "Claim",
    "Bulletin",
    "FreeClinic",
    "CharityBatch",
    "HospitalFirst",
)
CONDITIONS = ("spine", "knee", "hip")
# Verifications in the demo happen at ten in the morning, Beijing time.
VERIFIED_AT = datetime.time(10, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))

Record = dict[str, Any]


def _list(document: Record, name: str) -> list:
    items = document.get(name) or []
    if not isinstance(items, list):
        raise DemoDataError(f"{name}: expected a list.")
    return items


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


def _day(record: Record, name: str, *, label: str) -> datetime.date:
    value = record.get(name)
    if not isinstance(value, datetime.date):
        raise DemoDataError(f"{label}: {name} {value!r} is not a date (YYYY-MM-DD).")
    return value


def _text(record: Record, name: str, *, label: str) -> Record:
    value = record.get(name)
    if not isinstance(value, dict) or not value.get("zh_hans") or set(value) - {"zh_hans", "en"}:
        raise DemoDataError(f"{label}: {name} needs zh_hans (and may have en).")
    return {f"{name}_zh_hans": str(value["zh_hans"]), f"{name}_en": str(value.get("en") or "")}


def _count(value: Any, *, label: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise DemoDataError(f"{label}: {value!r} is not a count.")
    return value


def _money(value: Any, *, label: str) -> Decimal:
    try:
        amount = Decimal(str(value))
    except ArithmeticError:
        raise DemoDataError(f"{label}: {value!r} is not an amount.") from None
    if amount != amount.quantize(Decimal("0.01")) or amount < 0:
        raise DemoDataError(f"{label}: {value!r} is not an amount in CNY with two decimals.")
    return amount


# ---------------------------------------------------------------------------------------------
# Reading and checking


def _parse_lists(document: Record, *, organisations: dict[str, Organisation]) -> list[Record]:
    parsed = []
    batches = set()
    for index, record in enumerate(_list(document, "lists"), start=1):
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
            name: _day(record, name, label=label)
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
        for item in _list(record, "items"):
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
            delivered_on = _day(item, "delivered_on", label=item_label)
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
    for index, record in enumerate(_list(document, "clinics"), start=1):
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
    for index, record in enumerate(_list(document, "charity_batches"), start=1):
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
                "funds": _money(record["funds"], label=label),
                **{name: name in conditions for name in CONDITIONS},
                "illustrative": True,
            }
        )
    firsts = []
    for index, record in enumerate(_list(document, "firsts"), start=1):
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


# ---------------------------------------------------------------------------------------------
# Writing


def _run_cycle(
    spec: Record,
    *,
    programme: Programme,
    parties: dict[str, Organisation],
    organisations: dict[str, Organisation],
    counts: dict[str, Counter],
) -> None:
    """A new list, taken through needs → items → publication → claims → delivery →
    verification → closing, each step by the services, on the file's dates."""
    call_list = CallList.objects.get(programme=programme, batch=spec["batch"])
    for item in spec["items"]:
        code = f"b{spec['batch']}-{item['number']:02d}"
        need, outcome = upsert(
            Need,
            lookup={"programme": programme, "code": code},
            values={
                "description_zh_hans": item["title_zh_hans"],
                "description_en": item["title_en"],
                "category": item["category"],
                "requested_by": parties["requested_by"],
                "collected_by": parties["collected_by"],
                "collected_on": spec["needs_collected_on"],
                "illustrative": True,
            },
            label=f"need {code}",
        )
        counts["Need"][outcome] += 1
        services.accept_need(need=need)
        services.add_item(
            call_list=call_list,
            needs=[need],
            number=item["number"],
            title_zh_hans=item["title_zh_hans"],
            title_en=item["title_en"],
            category=item["category"],
        )
        counts["CallItem"][CREATED] += 1
    services.publish_list(call_list=call_list, on=spec["published_on"])
    verified_at = datetime.datetime.combine(spec["verified_on"], VERIFIED_AT)
    for item in spec["items"]:
        claim = services.claim_item(
            item=CallItem.objects.get(call_list=call_list, number=item["number"]),
            organisation=organisations[item["claimant"]],
            on=spec["claimed_on"],
            at=datetime.datetime.combine(spec["claimed_on"], VERIFIED_AT),
        )
        services.deliver_claim(
            claim=claim,
            on=item["delivered_on"],
            at=datetime.datetime.combine(item["delivered_on"], VERIFIED_AT),
        )
        services.verify_claim(claim=claim, score=item["score"], at=verified_at)
        counts["Claim"][CREATED] += 1
    services.close_list(
        call_list=call_list,
        on=spec["closed_on"],
        at=datetime.datetime.combine(spec["closed_on"], VERIFIED_AT),
    )


def _check_existing(spec: Record, call_list: CallList, counts: dict[str, Counter]) -> None:
    """A list already loaded: its items and claims must be the file's; nothing is redone."""
    held = {
        claim.item.number: claim.organisation.code
        for claim in Claim.objects.filter(
            item__call_list=call_list, status__in=Claim.HOLDING
        ).select_related("item", "organisation")
    }
    wanted = {item["number"]: item["claimant"] for item in spec["items"]}
    if held != wanted:
        raise DemoDataError(
            f"list {spec['batch']}: already loaded with other items or claimants; a published "
            "list is not rewritten by the demo loader."
        )
    counts["Need"][UNCHANGED] += len(wanted)
    counts["Claim"][UNCHANGED] += len(wanted)
    for item in spec["items"]:
        _obj, outcome = upsert(
            CallItem,
            lookup={"call_list": call_list, "number": item["number"]},
            values={
                "title_zh_hans": item["title_zh_hans"],
                "title_en": item["title_en"],
                "category": item["category"],
            },
            label=f"list {spec['batch']} item {item['number']}",
        )
        counts["CallItem"][outcome] += 1


@transaction.atomic
def load_demo(path: Path | None = None) -> dict[str, dict[str, int]]:
    """Load the demo medical file; return created/updated/unchanged counts per model."""
    document = read(Path(path) if path else DEFAULT_PATH)
    try:
        programme = Programme.objects.get(code=document.get("programme"))
    except Programme.DoesNotExist:
        raise DemoDataError(
            f"programme {document.get('programme')!r} is not loaded: load the projects first."
        ) from None
    known = {o.code: o for o in Organisation.objects.all()}
    parties = {}
    for role in ("issuer", "collected_by", "requested_by", "firsts_hospital"):
        if document.get(role) not in known:
            raise DemoDataError(f"{role}: unknown organisation {document.get(role)!r}.")
        parties[role] = known[document[role]]
    claimants = []
    for index, record in enumerate(_list(document, "claimants"), start=1):
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
    for index, record in enumerate(_list(document, "bulletins"), start=1):
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
                "published_on": _day(record, "published_on", label=label),
                "organisations": list(record["organisations"]),
                **_text(record, "title", label=label),
                **_text(record, "body", label=label),
            }
        )
    _check_expected(document.get("expected") or {}, lists=lists, outreach=outreach)

    counts = {name: Counter() for name in MODELS}
    organisations = dict(known)
    for record in claimants:
        organisation, outcome = upsert(
            Organisation,
            lookup={"code": record["code"]},
            values={
                **{k: v for k, v in record.items() if k != "code"},
                "type": Organisation.Type.LOCAL_GOVERNMENT,
            },
            label=f"claimant {record['code']}",
        )
        organisations[record["code"]] = organisation
        counts[CLAIMANTS][outcome] += 1
    try:
        for spec in lists:
            call_list, outcome = upsert(
                CallList,
                lookup={"programme": programme, "batch": spec["batch"]},
                values={
                    "title_zh_hans": spec["title_zh_hans"],
                    "title_en": spec["title_en"],
                    "issuer": parties["issuer"],
                    "claim_deadline": spec["claim_deadline"],
                    "delivery_deadline": spec["delivery_deadline"],
                    "illustrative": True,
                },
                label=f"list {spec['batch']}",
            )
            counts["CallList"][outcome] += 1
            if outcome == CREATED:
                _run_cycle(
                    spec,
                    programme=programme,
                    parties=parties,
                    organisations=organisations,
                    counts=counts,
                )
            else:
                _check_existing(spec, call_list, counts)
    except (ValidationError, Conflict) as exc:
        raise DemoDataError(f"lists: {'; '.join(getattr(exc, 'messages', [str(exc)]))}") from exc

    _load_bulletins(bulletins, programme=programme, organisations=organisations, counts=counts)
    for model, rows, key in (
        (FreeClinic, outreach["clinics"], "number"),
        (CharityBatch, outreach["charity"], "number"),
        (HospitalFirst, outreach["firsts"], "code"),
    ):
        for row in rows:
            values = {name: value for name, value in row.items() if name != key}
            if model is HospitalFirst:
                values["hospital"] = parties["firsts_hospital"]
            _obj, outcome = upsert(
                model,
                lookup={"programme": programme, key: row[key]},
                values=values,
                label=f"{model._meta.verbose_name} {row[key]}",
            )
            counts[model.__name__][outcome] += 1
    return {
        name: {outcome: counter[outcome] for outcome in (CREATED, UPDATED, UNCHANGED)}
        for name, counter in counts.items()
    }


def _load_bulletins(
    bulletins: list[Record],
    *,
    programme: Programme,
    organisations: dict[str, Organisation],
    counts: dict[str, Counter],
) -> None:
    for record in bulletins:
        bulletin, outcome = upsert(
            Bulletin,
            lookup={"programme": programme, "title_zh_hans": record["title_zh_hans"]},
            values={
                "kind": record["kind"],
                "title_en": record["title_en"],
                "body_zh_hans": record["body_zh_hans"],
                "body_en": record["body_en"],
                "call_list": CallList.objects.get(programme=programme, batch=record["batch"]),
                "illustrative": True,
            },
            label=f"bulletin {record['title_zh_hans']}",
        )
        wanted = {organisations[code].pk for code in record["organisations"]}
        if set(bulletin.organisations.values_list("pk", flat=True)) != wanted:
            bulletin.organisations.set(wanted)
            outcome = UPDATED if outcome == UNCHANGED else outcome
        if not bulletin.published:
            services.publish_bulletin(bulletin=bulletin, on=record["published_on"])
            outcome = UPDATED if outcome == UNCHANGED else outcome
        counts["Bulletin"][outcome] += 1
