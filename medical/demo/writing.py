"""Writing the checked demo medical file: claimant organisations, then each open-call list (a
new one taken through its whole cycle by `medical.services`, one already loaded only compared),
bulletins and outreach. Rows are saved only when a value differs, so a second load writes
nothing."""

import datetime

from django.core.exceptions import ValidationError

from core.demo import CREATED, UNCHANGED, UPDATED, DemoDataError, Record, Tally, upsert
from core.exceptions import Conflict
from medical import services
from medical.demo.parsing import Parsed
from medical.models import (
    Bulletin,
    CallItem,
    CallList,
    CharityBatch,
    Claim,
    FreeClinic,
    HospitalFirst,
    Need,
)
from reference.models import Organisation, Programme

CLAIMANTS = "Claimant organisation"
# Listed in loading order; the summary reports every one of them.
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
# Verifications in the demo happen at ten in the morning, Beijing time.
VERIFIED_AT = datetime.time(10, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))


def write(parsed: Parsed, *, programme: Programme, known: dict[str, Organisation]) -> Tally:
    """Write the checked file into `programme`; return what each row's write came to."""
    tally = Tally(MODELS)
    organisations = dict(known)
    for record in parsed.claimants:
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
        tally.add(CLAIMANTS, outcome)
    try:
        for spec in parsed.lists:
            call_list, outcome = upsert(
                CallList,
                lookup={"programme": programme, "batch": spec["batch"]},
                values={
                    "title_zh_hans": spec["title_zh_hans"],
                    "title_en": spec["title_en"],
                    "issuer": parsed.parties["issuer"],
                    "claim_deadline": spec["claim_deadline"],
                    "delivery_deadline": spec["delivery_deadline"],
                    "illustrative": True,
                },
                label=f"list {spec['batch']}",
            )
            tally.add("CallList", outcome)
            if outcome == CREATED:
                _run_cycle(
                    spec,
                    programme=programme,
                    parties=parsed.parties,
                    organisations=organisations,
                    tally=tally,
                )
            else:
                _check_existing(spec, call_list, tally)
    except (ValidationError, Conflict) as exc:
        raise DemoDataError(f"lists: {'; '.join(getattr(exc, 'messages', [str(exc)]))}") from exc

    _load_bulletins(parsed.bulletins, programme=programme, organisations=organisations, tally=tally)
    for model, rows, key in (
        (FreeClinic, parsed.outreach["clinics"], "number"),
        (CharityBatch, parsed.outreach["charity"], "number"),
        (HospitalFirst, parsed.outreach["firsts"], "code"),
    ):
        for row in rows:
            values = {name: value for name, value in row.items() if name != key}
            if model is HospitalFirst:
                values["hospital"] = parsed.parties["firsts_hospital"]
            tally.write(
                model,
                lookup={"programme": programme, key: row[key]},
                values=values,
                label=f"{model._meta.verbose_name} {row[key]}",
            )
    return tally


def _run_cycle(
    spec: Record,
    *,
    programme: Programme,
    parties: dict[str, Organisation],
    organisations: dict[str, Organisation],
    tally: Tally,
) -> None:
    """A new list, taken through needs → items → publication → claims → delivery →
    verification → closing, each step by the services, on the file's dates."""
    call_list = CallList.objects.get(programme=programme, batch=spec["batch"])
    for item in spec["items"]:
        code = f"b{spec['batch']}-{item['number']:02d}"
        need = tally.write(
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
        services.accept_need(need=need)
        services.add_item(
            call_list=call_list,
            needs=[need],
            number=item["number"],
            title_zh_hans=item["title_zh_hans"],
            title_en=item["title_en"],
            category=item["category"],
        )
        tally.add("CallItem", CREATED)
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
            # The report names what each item delivered and nothing more: its title.
            summary=item["title_zh_hans"],
            at=datetime.datetime.combine(item["delivered_on"], VERIFIED_AT),
        )
        services.verify_claim(claim=claim, score=item["score"], at=verified_at)
        tally.add("Claim", CREATED)
    services.close_list(
        call_list=call_list,
        on=spec["closed_on"],
        at=datetime.datetime.combine(spec["closed_on"], VERIFIED_AT),
    )


def _check_existing(spec: Record, call_list: CallList, tally: Tally) -> None:
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
    tally.add("Need", UNCHANGED, len(wanted))
    tally.add("Claim", UNCHANGED, len(wanted))
    for item in spec["items"]:
        tally.write(
            CallItem,
            lookup={"call_list": call_list, "number": item["number"]},
            values={
                "title_zh_hans": item["title_zh_hans"],
                "title_en": item["title_en"],
                "category": item["category"],
            },
            label=f"list {spec['batch']} item {item['number']}",
        )


def _load_bulletins(
    bulletins: list[Record],
    *,
    programme: Programme,
    organisations: dict[str, Organisation],
    tally: Tally,
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
        tally.add("Bulletin", outcome)
