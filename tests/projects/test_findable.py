"""Credible and findable: each public page describes itself to search engines and link
previews (description, Open Graph, hreflang alternates, canonical), the frame names the
programme's governments and its publisher, and sitemap.xml, robots.txt, 404 and 500 are there."""

import io
import re
from html.parser import HTMLParser
from xml.etree import ElementTree

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import path
from PIL import Image

from aidportal import urls as root_urls
from projects.models import Photo
from tests.education.factories import SponsoredProgrammeFactory
from tests.factories import OrganisationFactory, ProgrammeFactory, ProjectFactory

pytestmark = pytest.mark.django_db

HOST = "http://testserver"


class Head(HTMLParser):
    """The <link> and <meta> elements of a page, as attribute dicts."""

    def __init__(self):
        super().__init__()
        self.links: list[dict] = []
        self.metas: list[dict] = []

    def handle_starttag(self, tag, attrs):
        if tag == "link":
            self.links.append(dict(attrs))
        elif tag == "meta":
            self.metas.append(dict(attrs))

    def meta(self, key: str) -> list[str]:
        return [
            m.get("content", "") for m in self.metas if key in (m.get("property"), m.get("name"))
        ]

    def link(self, rel: str) -> list[dict]:
        return [link for link in self.links if link.get("rel") == rel]


def head_of(response) -> Head:
    parser = Head()
    parser.feed(response.content.decode())
    return parser


@pytest.fixture
def programme():
    return ProgrammeFactory(
        code="hz-sn",
        name_zh_hans="杭州—色尼 对口支援",
        name_en="Hangzhou–Seni paired aid",
        description_zh_hans="杭州对口支援色尼区三十年。",
        description_en="Thirty years of Hangzhou's aid to Seni.",
        donor=OrganisationFactory(
            code="hz-gov", name_zh_hans="杭州市人民政府", name_en="Hangzhou Government"
        ),
        partner=OrganisationFactory(
            code="seni-gov", name_zh_hans="色尼区人民政府", name_en="Seni District Government"
        ),
    )


@pytest.fixture
def project(programme):
    SponsoredProgrammeFactory(pairing=programme)  # the education page shows one
    return ProjectFactory(
        programme=programme,
        code="HZSN-01",
        title_zh_hans="杭嘉新村",
        title_en="Hangjia New Village",
        summary_zh_hans="罗岗村85户牧民的新居。",
        summary_en="New homes for 85 herder households of Luogang.",
    )


PAGES = [
    ("/", "/en/"),
    ("/projects/", "/en/projects/"),
    ("/projects/HZSN-01/", "/en/projects/HZSN-01/"),
    ("/timeline/", "/en/timeline/"),
    ("/funding/", "/en/funding/"),
    ("/medical/", "/en/medical/"),
    ("/education/", "/en/education/"),
    ("/data/", "/en/data/"),
]


@pytest.mark.parametrize("chinese, english", PAGES)
def test_every_public_page_names_its_twin_and_itself_with_absolute_addresses(
    client, project, chinese, english
):
    for own, language, locale in ((chinese, "zh-hans", "zh_CN"), (english, "en", "en_GB")):
        response = client.get(own)
        assert response.status_code == 200, own
        head = head_of(response)

        assert [link["href"] for link in head.link("canonical")] == [HOST + own]
        alternates = {link["hreflang"]: link["href"] for link in head.link("alternate")}
        assert alternates == {
            "zh-Hans": HOST + chinese,
            "en": HOST + english,
            "x-default": HOST + chinese,
        }
        assert head.meta("og:url") == [HOST + own]
        assert head.meta("og:locale") == [locale]
        assert head.meta("og:type") in (["website"], ["article"])
        [title] = head.meta("og:title")
        [description] = head.meta("description")
        [og_description] = head.meta("og:description")
        assert title and description and og_description, (own, language)
        assert len(description) <= 160


def test_a_project_page_describes_the_project_in_the_page_language(client, project):
    chinese = head_of(client.get("/projects/HZSN-01/"))
    english = head_of(client.get("/en/projects/HZSN-01/"))

    assert chinese.meta("description") == ["罗岗村85户牧民的新居。"]
    assert chinese.meta("og:title") == ["杭嘉新村"]
    assert chinese.meta("og:type") == ["article"]
    assert english.meta("og:description") == ["New homes for 85 herder households of Luogang."]
    assert english.meta("og:title") == ["Hangjia New Village"]
    # No photo, no preview image (and no broken one).
    assert chinese.meta("og:image") == []


def test_a_project_with_a_photo_offers_it_as_the_preview_image(client, project):
    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), (20, 120, 200)).save(buffer, format="JPEG")
    Photo.objects.create(
        project=project,
        image=SimpleUploadedFile("site.jpg", buffer.getvalue(), content_type="image/jpeg"),
        caption="新居",
    )

    head = head_of(client.get("/projects/HZSN-01/"))

    [image] = head.meta("og:image")
    assert image.startswith(HOST + "/media/") and image.endswith(".jpg")
    assert head.meta("og:image:alt") == ["新居"]


def test_the_home_page_describes_the_programme(client, programme):
    assert head_of(client.get("/")).meta("description") == ["杭州对口支援色尼区三十年。"]
    assert head_of(client.get("/en/")).meta("og:description") == [
        "Thirty years of Hangzhou's aid to Seni."
    ]


def test_the_header_names_both_governments_from_the_programme(client, programme):
    chinese = client.get("/projects/").content.decode()
    english = client.get("/en/projects/").content.decode()

    assert re.search(r"data-governments>[^<]*杭州市人民政府[^<]*色尼区人民政府<", chinese)
    assert re.search(
        r"data-governments>[^<]*Hangzhou Government[^<]*Seni District Government<", english
    )


def test_another_programmes_home_page_names_its_own_governments(client, programme):
    other = ProgrammeFactory(
        code="other",
        donor=OrganisationFactory(code="nb-gov", name_zh_hans="宁波市人民政府"),
        partner=OrganisationFactory(code="bg-gov", name_zh_hans="比如县人民政府"),
    )

    page = client.get(f"/programmes/{other.code}/").content.decode()

    assert re.search(r"data-governments>[^<]*宁波市人民政府[^<]*比如县人民政府<", page)
    assert "杭州市人民政府" not in re.search(r"data-governments>[^<]*<", page).group()


def test_the_footer_names_the_publisher_and_shows_contact_and_icp_number_only_when_set(
    client, programme, settings
):
    settings.SITE_CONTACT_EMAIL = ""
    settings.ICP_FILING_NUMBER = ""
    page = client.get("/").content.decode()
    assert re.search(r"data-publisher>[^<]*杭州市人民政府<", page)
    assert "data-icp" not in page
    assert "data-contact" not in page
    assert "beian.miit.gov.cn" not in page

    settings.SITE_CONTACT_EMAIL = "aid@example.org"
    settings.ICP_FILING_NUMBER = "浙ICP备12345678号-1"
    settings.SITE_PUBLISHER = "杭州市人民政府对口支援办公室"
    page = client.get("/").content.decode()
    assert re.search(
        r'<a data-icp href="https://beian.miit.gov.cn/"[^>]*>浙ICP备12345678号-1</a>', page
    )
    assert 'href="mailto:aid@example.org"' in page
    assert re.search(r"data-publisher>[^<]*杭州市人民政府对口支援办公室<", page)


def test_every_page_has_the_icons_and_the_manifest(client, programme):
    head = head_of(client.get("/en/"))
    icons = {link["href"] for link in head.link("icon")}
    assert icons == {"/static/icons/favicon.svg", "/static/icons/icon-32.png"}
    assert [link["href"] for link in head.link("apple-touch-icon")] == [
        "/static/icons/apple-touch-icon.png"
    ]
    [manifest] = head.link("manifest")
    for href in (
        *icons,
        manifest["href"],
        "/static/icons/icon-192.png",
        "/static/icons/icon-512.png",
    ):
        response = client.get(href)
        assert response.status_code == 200, href
        b"".join(response.streaming_content)
    with Image.open("static/icons/icon-512.png") as icon:
        assert icon.size == (512, 512)
    with Image.open("static/icons/apple-touch-icon.png") as icon:
        assert icon.size == (180, 180)
    assert client.get("/favicon.ico").status_code in (301, 302)


SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
XHTML = "{http://www.w3.org/1999/xhtml}"


def test_the_sitemap_lists_every_published_project_in_both_languages(client, project):
    ProjectFactory(programme=project.programme, code="HIDDEN-1", published=False)

    response = client.get("/sitemap.xml")

    assert response.status_code == 200
    root = ElementTree.fromstring(response.content)
    entries = {
        url.find(f"{SITEMAP}loc").text: {
            link.get("hreflang"): link.get("href") for link in url.findall(f"{XHTML}link")
        }
        for url in root.findall(f"{SITEMAP}url")
    }
    for chinese, english in PAGES:
        for own in (chinese, english):
            assert entries[HOST + own] == {
                "zh-hans": HOST + chinese,
                "en": HOST + english,
                "x-default": HOST + chinese,
            }
    assert not [loc for loc in entries if "HIDDEN-1" in loc]
    assert len(entries) == 2 * len(PAGES)


def test_robots_txt_allows_the_pages_and_points_at_the_sitemap(client):
    response = client.get("/robots.txt")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    lines = response.content.decode().splitlines()
    assert "User-agent: *" in lines
    assert "Disallow: /admin/" in lines
    assert "Disallow: /en/admin/" in lines
    assert "Disallow: /api/" in lines
    assert "Disallow: /" not in lines
    assert f"Sitemap: {HOST}/sitemap.xml" in lines


def test_a_missing_page_is_a_404_in_the_sites_design_in_chinese(client, programme):
    response = client.get("/no-such/")

    assert response.status_code == 404
    page = response.content.decode()
    assert '<html lang="zh-hans">' in page
    assert 'data-error="404"' in page
    assert "页面不存在" in page
    assert 'class="site-header"' in page and "对口支援信息平台" in page
    assert "Not Found" not in page
    assert re.search(r'<a href="/en/no-such/" lang="en"', page)
    assert head_of(response).meta("robots") == ["noindex"]


def test_a_missing_page_is_a_404_in_english_under_en(client, programme):
    response = client.get("/en/no-such/")

    assert response.status_code == 404
    page = response.content.decode()
    assert '<html lang="en">' in page
    assert "Page not found" in page
    assert 'class="site-header"' in page and "AidPortal" in page
    assert "页面不存在" not in page
    # The language switch leads to the same address in Chinese.
    assert re.search(r'<a href="/no-such/" lang="zh-hans"', page)


def test_a_missing_api_address_is_still_problem_json(client):
    response = client.get("/api/v1/no-such/")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def _fails(request):
    raise RuntimeError("broken on purpose")


urlpatterns = [
    path("broken/", _fails),
    path("en/broken/", _fails),
    *root_urls.urlpatterns,
]
handler404 = root_urls.handler404
handler500 = root_urls.handler500


@pytest.mark.urls("tests.projects.test_findable")
@pytest.mark.parametrize(
    "address, language, words",
    [("/broken/", "zh-hans", "服务器出错"), ("/en/broken/", "en", "Something went wrong")],
)
def test_a_server_error_is_a_500_page_in_the_sites_design(address, language, words):
    client = Client(raise_request_exception=False)

    response = client.get(address)

    assert response.status_code == 500
    page = response.content.decode()
    assert f'<html lang="{language}">' in page
    assert 'data-error="500"' in page
    assert words in page
    assert "/static/css/portal.css" in page
    assert "Server Error (500)" not in page
