"""Every public page is complete in both languages: no Chinese on an English page but the
names below, no English interface word on a Chinese page, and the site's own name in Chinese."""

import re
from html.parser import HTMLParser

import pytest

from projects.models import Project

pytestmark = pytest.mark.django_db

CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]+")
# Proper names that have no English form and may stay in Chinese on an English page. None do in
# the demo: every organisation, place and source has its English name in the demo files.
NAMES_WITHOUT_ENGLISH: set[str] = set()
# Latin words a Chinese page may show: project codes (HZSN-14-01), the CSV, XLSX and JSON file
# formats and the API of 开放数据接口 (the docs page's title). Anything else is an untranslated
# interface word.
LATIN_ON_CHINESE_PAGES = {"HZSN", "CSV", "XLSX", "JSON", "API"}
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


class VisibleText(HTMLParser):
    """The text a reader meets: element text and the attributes shown on hover or read aloud,
    outside scripts and styles and outside elements marked as another language (the language
    switch names 简体中文 in Chinese, with lang="zh-hans")."""

    SHOWN_ATTRIBUTES = ("title", "alt", "aria-label", "placeholder")
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}

    def __init__(self, language: str):
        super().__init__()
        self.language = language
        self.stack: list[bool] = []  # per open element: is its text skipped?
        self.parts: list[str] = []

    def skipping(self) -> bool:
        return any(self.stack)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        lang = attributes.get("lang")
        other_language = tag != "html" and lang is not None and not lang.startswith(self.language)
        skip = tag in ("script", "style") or other_language
        if not self.skipping() and not skip:
            self.parts += [
                attributes[name] for name in self.SHOWN_ATTRIBUTES if attributes.get(name)
            ]
        if tag not in self.VOID:
            self.stack.append(skip)

    def handle_endtag(self, tag):
        if tag not in self.VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data):
        if not self.skipping() and data.strip():
            self.parts.append(data.strip())


def visible_text(html: str, language: str) -> list[str]:
    parser = VisibleText(language)
    parser.feed(html)
    return parser.parts


@pytest.fixture
def pages(client, demo_data):
    codes = Project.objects.filter(published=True).values_list("code", flat=True)
    paths = [
        "/",
        "/projects/",
        "/projects/?ordering=-planned_investment&field=livelihood",
        *[f"/projects/{code}/" for code in codes],
        "/timeline/",
        "/funding/",
        "/medical/",
        "/education/",
        "/data/",
    ]

    def read(prefix: str) -> dict[str, str]:
        found = {}
        for path in paths:
            response = client.get(prefix + path)
            assert response.status_code == 200, prefix + path
            found[prefix + path] = response.content.decode()
        return found

    return read


def test_english_pages_show_no_chinese_but_names(client, pages):
    english = pages("/en")
    docs = client.get("/api/v1/docs/?lang=en")
    english["/api/v1/docs/?lang=en"] = docs.content.decode()

    chinese = {
        path: sorted({text for text in visible_text(html, "en") if CJK.search(text)})
        for path, html in english.items()
    }
    leftovers = {
        path: [text for text in texts if set(CJK.findall(text)) - NAMES_WITHOUT_ENGLISH]
        for path, texts in chinese.items()
    }
    assert {path: texts for path, texts in leftovers.items() if texts} == {}


def test_chinese_pages_show_no_english_interface_words(client, pages):
    chinese = pages("")
    chinese["/api/v1/docs/?lang=zh-hans"] = client.get(
        "/api/v1/docs/?lang=zh-hans"
    ).content.decode()

    english = {
        path: sorted(
            {
                text
                for text in visible_text(html, "zh")
                if set(LATIN_WORD.findall(text)) - LATIN_ON_CHINESE_PAGES
            }
        )
        for path, html in chinese.items()
    }
    assert {path: texts for path, texts in english.items() if texts} == {}


def test_the_chinese_site_has_a_chinese_name(client, db):
    chinese = client.get("/projects/").content.decode()
    english = client.get("/en/projects/").content.decode()

    assert "<title>项目 · 对口支援信息平台</title>" in chinese
    assert re.search(r'class="brand"[^>]*>(<img[^>]*> )?对口支援信息平台 <span>', chinese)
    assert "AidPortal" not in chinese
    assert "<title>Projects · AidPortal</title>" in english


@pytest.mark.parametrize(
    ("prefix", "empty", "descending"),
    [("", "全部", "计划投资（降序）"), ("/en", "All", "Planned investment (descending)")],
)
def test_filters_and_orderings_read_in_the_pages_language(client, db, prefix, empty, descending):
    page = client.get(f"{prefix}/projects/").content.decode()

    assert "---------" not in page
    assert f'<option value="" selected>{empty}</option>' in page
    assert f'<option value="-planned_investment">{descending}</option>' in page


@pytest.mark.parametrize(
    ("language", "title"), [("en", "AidPortal API"), ("zh-hans", "对口支援信息平台 API")]
)
def test_the_api_docs_follow_the_readers_language(client, language, title):
    page = client.get(f"/api/v1/docs/?lang={language}").content.decode()
    script = client.get(f"/api/v1/docs/?script&lang={language}").content.decode()
    schema = client.get(f"/api/v1/schema/?lang={language}").content.decode()

    assert f'<html lang="{language}">' in page and f"<title>{title}</title>" in page
    # The script is escaped for JavaScript: = is \u003D and - is \u002D.
    escaped = language.replace("-", "\\u002D")
    assert f"/api/v1/schema/?lang\\u003D{escaped}" in script
    introduction = schema[schema.index("description:") : schema.index("paths:")]
    if language == "en":
        assert "Records of paired-aid programmes" in introduction
        assert not CJK.search(introduction)
    else:
        assert "对口支援项目的记录" in introduction
