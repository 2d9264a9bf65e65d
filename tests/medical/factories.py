"""Factories for the medical app's records."""

import datetime

import factory
from factory.django import DjangoModelFactory

from medical.models import CallItem, CallList, Category, Need
from reference.models import Organisation
from tests.factories import OrganisationFactory, ProgrammeFactory

FAR = datetime.date(2099, 12, 31)


class NeedFactory(DjangoModelFactory):
    class Meta:
        model = Need

    programme = factory.SubFactory(ProgrammeFactory)
    code = factory.Sequence(lambda n: f"need-{n}")
    description_zh_hans = factory.Sequence(lambda n: f"需求{n}")
    description_en = factory.Sequence(lambda n: f"Need {n}")
    category = Category.TREATMENT
    requested_by = factory.SubFactory(OrganisationFactory)
    collected_on = datetime.date(2024, 1, 10)


class CallListFactory(DjangoModelFactory):
    class Meta:
        model = CallList

    programme = factory.SubFactory(ProgrammeFactory)
    batch = factory.Sequence(lambda n: n + 1)
    title_zh_hans = factory.Sequence(lambda n: f"榜单{n}")
    title_en = factory.Sequence(lambda n: f"List {n}")
    # The donor's health commission issues the lists (hz-health under hz-gov in the demo).
    issuer = factory.SubFactory(
        OrganisationFactory, parent=factory.SelfAttribute("..programme.donor")
    )
    claim_deadline = FAR
    delivery_deadline = FAR


class CallItemFactory(DjangoModelFactory):
    class Meta:
        model = CallItem

    call_list = factory.SubFactory(CallListFactory)
    number = factory.Sequence(lambda n: n + 1)
    title_zh_hans = factory.Sequence(lambda n: f"榜单项{n}")
    title_en = factory.Sequence(lambda n: f"Item {n}")
    category = Category.TREATMENT


def published_item(*, max_claimants: int = 1, **list_fields) -> CallItem:
    """An open item on a published list, without going through the services."""
    call_list = CallListFactory(
        status=CallList.Status.PUBLISHED, published_on=datetime.date(2024, 1, 1), **list_fields
    )
    return CallItemFactory(call_list=call_list, max_claimants=max_claimants)


def donor_side(item: CallItem, **fields) -> Organisation:
    """An organisation under the item's programme's donor: one that may claim it."""
    return OrganisationFactory(parent=item.call_list.programme.donor, **fields)
