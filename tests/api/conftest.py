"""Callers and records for the API platform tests: two partner organisations on one project."""

import datetime
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from api.keys import issue_api_key
from tests.factories import (
    OrganisationFactory,
    ParticipantFactory,
    ProgressUpdateFactory,
    ProjectFactory,
)


@dataclass
class World:
    org_a: object
    org_b: object
    project: object
    a_draft: object
    b_draft: object
    b_published: object
    staff_published: object
    keys: dict


@pytest.fixture
def world(db):
    org_a = OrganisationFactory(code="hosp-a")
    org_b = OrganisationFactory(code="hosp-b")
    project = ProjectFactory(code="P-SHARED")
    for org in (org_a, org_b):
        ParticipantFactory(project=project, organisation=org, role="implementing")
    day = datetime.date(2024, 5, 1)
    keys = {
        "key_a": issue_api_key(organisation=org_a, name="A write", capabilities=["updates:write"])[
            1
        ],
        "key_b": issue_api_key(organisation=org_b, name="B write", capabilities=["updates:write"])[
            1
        ],
        "key_a_read": issue_api_key(organisation=org_a, name="A read")[1],
    }
    return World(
        org_a=org_a,
        org_b=org_b,
        project=project,
        a_draft=ProgressUpdateFactory(
            project=project, organisation=org_a, date=day, published=False
        ),
        b_draft=ProgressUpdateFactory(
            project=project, organisation=org_b, date=day, published=False
        ),
        b_published=ProgressUpdateFactory(
            project=project, organisation=org_b, date=day, published=True
        ),
        staff_published=ProgressUpdateFactory(project=project, date=day, published=True),
        keys=keys,
    )


def staff_client(username: str, group: str | None) -> Client:
    user = User.objects.create_user(username, is_staff=True)
    if group:
        user.groups.add(Group.objects.get(name=group))
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def callers(world):
    """Every kind of caller, as a ready test client."""
    return {
        "anonymous": Client(),
        "key_a": Client(HTTP_AUTHORIZATION=f"Bearer {world.keys['key_a']}"),
        "key_b": Client(HTTP_AUTHORIZATION=f"Bearer {world.keys['key_b']}"),
        "key_a_read": Client(HTTP_AUTHORIZATION=f"Bearer {world.keys['key_a_read']}"),
        "programme_staff": staff_client("editor", "Programme staff"),
        "auditor": staff_client("auditor", "Auditor"),
        "staff_no_role": staff_client("newcomer", None),
    }
