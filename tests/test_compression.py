"""Pages and JSON travel compressed; the staff's private pages never do; the API docs are light
and lead back to the portal."""

import gzip
import re

import brotli
import pytest
from backports import zstd

from tests.factories import ProgrammeFactory, ProjectFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def project():
    return ProjectFactory(programme=ProgrammeFactory(code="hz-sn"), code="SN-1")


@pytest.mark.parametrize(
    ("encoding", "decompress"),
    [("br", brotli.decompress), ("gzip", gzip.decompress), ("zstd", zstd.decompress)],
)
def test_a_page_is_compressed_as_the_browser_accepts(client, project, encoding, decompress):
    plain = client.get("/en/")
    compressed = client.get("/en/", HTTP_ACCEPT_ENCODING=encoding)

    assert "Content-Encoding" not in plain
    assert compressed["Content-Encoding"] == encoding
    assert "accept-encoding" in compressed["Vary"].lower()
    assert decompress(compressed.content) == plain.content
    assert len(compressed.content) < len(plain.content) / 3


def test_the_api_schema_and_json_are_compressed(client, project):
    plain = client.get("/api/v1/schema/")
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT_ENCODING="gzip, br")
    listing = client.get("/api/v1/projects/", HTTP_ACCEPT_ENCODING="gzip")

    assert schema["Content-Encoding"] == "br"
    assert brotli.decompress(schema.content) == plain.content
    assert len(schema.content) < len(plain.content) / 5
    assert listing["Content-Encoding"] == "gzip"
    assert gzip.decompress(listing.content).startswith(b"{")


def test_staff_pages_are_neither_compressed_nor_cached(client, admin_user):
    sign_in = client.get("/admin/login/", HTTP_ACCEPT_ENCODING="gzip, br")
    client.force_login(admin_user)
    index = client.get("/admin/", HTTP_ACCEPT_ENCODING="gzip, br")

    for page in (sign_in, index):
        assert page.status_code == 200
        assert "Content-Encoding" not in page
        assert "private" in page["Cache-Control"]
        assert "no-store" in page["Cache-Control"]


@pytest.mark.parametrize(
    ("lang", "home", "label"),
    [("en", "/en/", "Back to the portal"), ("zh-hans", "/", "返回对口支援信息平台")],
)
def test_the_api_docs_link_back_to_the_portal_in_their_language(client, lang, home, label):
    html = client.get(f"/api/v1/docs/?lang={lang}").content.decode()

    assert re.search(rf'<nav[^>]*>\s*<a href="{home}">{label}</a>', html)
    # Swagger UI's BaseLayout never reads the standalone preset: its 268 KB are not loaded.
    assert "swagger-ui-standalone-preset" not in html
    assert "swagger-ui-bundle" in html
