"""The admin is complete in both languages: every index, app index, list, add page and one
change page and its history per registered model, seen by a superuser over the demo, shows no
English interface word in Chinese and no Chinese in English. Values staff typed (names, titles,
codes) are data and may be in either language; labels, headings, buttons, help and choices are
interface."""

import io
import re
from collections.abc import Iterator
from pathlib import Path

import lxml.html
import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission, User
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import models
from django.urls import reverse
from django.utils import translation
from django.utils.translation.trans_real import DjangoTranslation

from education.models import AccessLogEntry
from projects import lifecycle
from projects.models import Project, WorkflowStep

pytestmark = pytest.mark.django_db

CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]")
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
# Codes, not words: addresses, an API key's capabilities (funding:entries), the change feed's
# event types (project.updated), a webhook's signing secret (whsec_…), generated identifiers
# (a pupil's public id) and the language code modeltranslation puts after the label of each
# language's field (名称 [en]).
CODES = re.compile(
    r"\S+@\S+|https?://\S+|/\S*|\b[a-z]+:[a-z]+\b|\b(?=[0-9-]*[A-Z])(?=[A-Z-]*\d)[A-Z0-9-]{4,}\b"
    r"|\b[a-z_]+\.[a-z_]+\b|\bwhsec_\S+"
    r"|\[(?:zh-hans|en)\]"
)
# Latin words the Chinese admin may show, each a name Chinese software writes as is: the site's
# API and the file formats of imports and downloads (.csv too), the second factor's standard
# (TOTP), the open-data standard (IATI), the web's protocol (HTTP) and the Standard Webhooks
# specification's name for a receiving address (Webhook), Excel, the GB/T national standards,
# LDAP and ID in Django's own Chinese, and the keys its selection help names (Control, Command,
# Mac).
LATIN_IN_CHINESE = {
    "API",
    "CSV",
    "XLSX",
    "JSON",
    "TOTP",
    "IATI",
    "HTTP",
    "WEBHOOK",
    "EXCEL",
    "GB",
    "LDAP",
    "ID",
}
KEY_NAMES = {"Control", "Command", "Mac"}
# Text the code writes rather than staff: a model's label in the access log is shown by its name.
WRITTEN_BY_CODE = {(AccessLogEntry, "model")}
# Generated from verbose names (interface), though stored in rows.
GENERATED = (Permission, ContentType)
SHOWN_ATTRIBUTES = ("title", "alt", "aria-label", "placeholder")


def stored_texts() -> set[str]:
    """Every text value in the database, and every record's name in the active language: the
    data a page may show in either language (change histories, the demo's "demo data" reason
    included)."""
    texts: set[str] = set()
    registered = [model for model in admin.site._registry if not issubclass(model, GENERATED)]
    histories = [model.history.model for model in registered if hasattr(model, "history")]
    for model in registered + histories:
        fields = [
            field.attname
            for field in model._meta.concrete_fields
            if isinstance(field, models.CharField | models.TextField | models.JSONField)
            and (model, field.name) not in WRITTEN_BY_CODE
        ]
        for row in model._default_manager.all():
            texts.add(str(row))
            for name in fields:
                value = getattr(row, name)
                if isinstance(value, list):
                    texts.update(str(item) for item in value)
                elif value:
                    texts.add(str(value))
    return {text.strip() for text in texts if text and text.strip()}


def visible_texts(html: str, language: str) -> Iterator[str]:
    """The text a reader meets: element text, buttons, and the attributes shown on hover or read
    aloud; not scripts and styles, the values of fields (data being edited), or elements marked
    as another language (the language switch)."""
    root = lxml.html.document_fromstring(html)
    skipped: set[lxml.html.HtmlElement] = set()
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        parent = element.getparent()
        lang = element.get("lang")
        if (
            (parent is not None and parent in skipped)
            # A <bdi> isolates a value: Django's password-hash summary (algorithm, salt, hash).
            or element.tag in ("script", "style", "textarea", "template", "bdi")
            or (element.tag != "html" and lang is not None and not lang.startswith(language))
        ):
            skipped.add(element)
            continue
        # Django writes True, False or None as the alt of its yes/no icons, in every language.
        boolean_icon = element.tag == "img" and "/admin/img/icon-" in element.get("src", "")
        for name in SHOWN_ATTRIBUTES:
            if element.get(name) and not boolean_icon:
                yield element.get(name)
        if element.tag == "input" and element.get("type") in ("submit", "button", "reset"):
            yield element.get("value") or ""
        if element.text:
            yield element.text
    for element in root.iter():
        if isinstance(element.tag, str) and element.tail and element.getparent() not in skipped:
            yield element.tail


def without_data(text: str, data: list[str]) -> str:
    text = CODES.sub(" ", text)
    for value in data:
        if value in text:
            # Whole values only: "din" stored somewhere is no licence for "funding".
            text = re.sub(rf"(?<![A-Za-z]){re.escape(value)}(?![A-Za-z])", " ", text)
    return text


def interface_words(text: str) -> list[str]:
    return [
        word
        for word in LATIN_WORD.findall(text)
        if word.upper() not in LATIN_IN_CHINESE and word not in KEY_NAMES
    ]


def leftovers(html: str, language: str, data: set[str], ordered: list[str]) -> set[str]:
    found = set()
    for raw in visible_texts(html, language):
        text = " ".join(raw.split())
        if not text or text in data:
            continue
        if language == "en":
            if CJK.search(text) and CJK.search(without_data(text, ordered)):
                found.add(text)
        elif interface_words(text) and interface_words(without_data(text, ordered)):
            found.add(text)
    return found


def admin_paths() -> Iterator[str]:
    yield reverse("admin:index")
    for app_label in sorted({model._meta.app_label for model in admin.site._registry}):
        yield reverse("admin:app_list", args=[app_label])
    for model, model_admin in admin.site._registry.items():
        info = (model._meta.app_label, model._meta.model_name)
        yield reverse("admin:{}_{}_changelist".format(*info))
        if model_admin.has_add_permission(_request()):
            yield reverse("admin:{}_{}_add".format(*info))
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            yield reverse("admin:{}_{}_change".format(*info), args=[first.pk])
            yield reverse("admin:{}_{}_history".format(*info), args=[first.pk])
    # The lifecycle's confirmation pages, one per step a demo project's stage allows.
    for action in WorkflowStep.Action.values:
        stages = list(lifecycle.TRANSITIONS[action])
        project = Project.objects.filter(stage__in=stages).order_by("pk").first()
        if project is not None:
            yield reverse("admin:projects_project_step", args=[project.pk, action])


def _request():
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = User.objects.get(username="root")
    return request


@pytest.fixture
def superuser_client(client):
    call_command("load_demo", stdout=io.StringIO())
    user = User.objects.create_superuser("root", "root@example.org", "pw")
    client.force_login(user)
    # A read of pupils' records, so the access log has a row to show.
    assert client.get(reverse("admin:education_student_changelist")).status_code == 200
    return client


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_admin_speaks_one_language(superuser_client, language):
    with translation.override(language):
        data = stored_texts()
        ordered = sorted(
            (text for text in data if len(text) > 1), key=lambda text: (-len(text), text)
        )
        paths = list(admin_paths())
    first_seen: dict[str, str] = {}
    for path in paths:
        response = superuser_client.get(path)
        assert response.status_code == 200, path
        for text in leftovers(response.content.decode(), language, data, ordered):
            first_seen.setdefault(text, path)
    # Each text in the other language once, with the first page that shows it.
    assert not first_seen, "\n".join(f"{path}: {text}" for text, path in sorted(first_seen.items()))


def django_admin_messages(domain: str) -> set[tuple[str, str]]:
    """The admin's own interface text (context, text), from the English catalog Django ships;
    text that is only placeholders stays the same in every language."""
    path = Path(admin.__file__).parent / "locale" / "en" / "LC_MESSAGES" / f"{domain}.po"
    pattern = r'^(?:msgctxt "(.*)"\n)?msgid ((?:".*"\n)+)'
    found = set()
    for context, lines in re.findall(pattern, path.read_text(), flags=re.MULTILINE):
        text = "".join(re.findall(r'"(.*)"', lines)).replace('\\"', '"')
        if re.sub(r"%(\(\w+\))?[sd]", "", text).strip(" :"):
            found.add((context, text))
    return found


def untranslated(catalog, domain: str) -> list[str]:
    return sorted(
        text
        for context, text in django_admin_messages(domain)
        if (catalog.pgettext(context, text) if context else catalog.gettext(text)) == text
    )


def test_the_admins_scripts_speak_chinese():
    # The selection boxes of filter_horizontal are drawn by script, from the admin's JS catalog.
    scripts = DjangoTranslation(
        "zh-hans", domain="djangojs", localedirs=[Path(admin.__file__).parent / "locale"]
    )
    assert untranslated(scripts, "djangojs") == []


def test_the_admins_pages_speak_chinese():
    assert untranslated(DjangoTranslation("zh-hans"), "django") == []
