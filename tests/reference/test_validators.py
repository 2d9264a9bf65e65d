"""Titles and names refuse the invisible characters that make text display differently from
what it holds (bidirectional controls, zero-width characters), in the admin and in the API."""

import json

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import translation

from api.keys import issue_api_key
from projects.models import ProgressUpdate
from reference.models import Organisation
from reference.validators import no_invisible_controls
from tests.factories import OrganisationFactory, ParticipantFactory, ProjectFactory

INVISIBLE = [
    *(chr(code) for code in range(0x202A, 0x202F)),  # embeddings and overrides
    *(chr(code) for code in range(0x2066, 0x206A)),  # isolates
    *(chr(code) for code in range(0x200B, 0x2010)),  # zero-width spaces, joiners, marks
    "\u2060",  # word joiner
    "\ufeff",  # zero-width no-break space (BOM)
]
NAMES = {"title", "name", "short_name", "donor_name"}


@pytest.mark.parametrize("character", INVISIBLE, ids=[f"U+{ord(c):04X}" for c in INVISIBLE])
def test_each_invisible_character_is_refused_and_named(character):
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        no_invisible_controls(f"色尼区{character}人民医院")
    with translation.override("en"):
        message = refused.value.messages[0]
    assert f"U+{ord(character):04X}" in message
    assert "position 4" in message


@pytest.mark.parametrize(
    "text", ["色尼区人民医院", "Seni District People's Hospital", "ནག་ཆུ།", "A–B (2024)", ""]
)
def test_ordinary_text_in_every_script_passes(text):
    no_invisible_controls(text)


def test_every_title_and_name_field_carries_the_validator():
    fields = [
        field
        for model in apps.get_models()
        if model._meta.app_label in {"reference", "projects", "funding", "medical", "education"}
        for field in model._meta.get_fields()
        if getattr(field, "max_length", None)
        and field.name.removesuffix("_zh_hans").removesuffix("_en") in NAMES
    ]
    assert len(fields) > 40
    missing = [
        f"{field.model._meta.label}.{field.name}"
        for field in fields
        if no_invisible_controls not in field.validators
    ]
    assert missing == []


@pytest.mark.django_db
def test_the_admin_refuses_an_organisation_name_with_a_right_to_left_override():
    root = User.objects.create_superuser("root", password="x")
    client = Client()
    client.force_login(root)

    response = client.post(
        "/en/admin/reference/organisation/add/",
        {
            "code": "spoof",
            "name_zh_hans": "色尼区\u202e院医民人",
            "name_en": "Seni hospital",
            "type": "public_body",
        },
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert list(errors) == ["name_zh_hans"]
    assert "U+202E" in errors["name_zh_hans"][0]
    assert not Organisation.objects.filter(code="spoof").exists()


@pytest.mark.django_db
def test_the_api_refuses_an_update_title_with_a_zero_width_space():
    organisation = OrganisationFactory()
    project = ProjectFactory()
    ParticipantFactory(project=project, organisation=organisation, role="implementing")
    key = issue_api_key(organisation=organisation, name="w", capabilities=["updates:write"])[1]
    client = Client(HTTP_AUTHORIZATION=f"Bearer {key}", HTTP_ACCEPT_LANGUAGE="en")
    body = {"project": project.code, "date": "2024-05-02", "title": {"zh-hans": "屋顶\u200b完工"}}

    response = client.post("/api/v1/updates/", json.dumps(body), content_type="application/json")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    errors = response.json()["errors"]
    assert list(errors) == ["title.zh-hans"]
    assert "U+200B" in errors["title.zh-hans"][0]
    assert not ProgressUpdate.objects.filter(project=project).exists()
