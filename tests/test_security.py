"""Security headers on every response, a CSP with nothing inline, the admin login's lockout,
and the health check a load balancer asks."""

import json
import socket

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.urls import path
from drf_spectacular.views import SpectacularSwaggerSplitView

from aidportal import urls as portal_urls
from projects.models import Project
from tests.test_settings import PRODUCTION_REDIS, manage

# The docs route as it is meant to be served: the Swagger UI init script as a file of its own.
urlpatterns = [
    path("split-docs/", SpectacularSwaggerSplitView.as_view(url="/api/v1/schema/")),
    *portal_urls.urlpatterns,
]

POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
PASSWORD = "correct horse battery staple"


def directives(header: str) -> dict[str, list[str]]:
    parts = (part.split() for part in header.split(";") if part.strip())
    return {name: sources for name, *sources in parts}


@pytest.fixture
def staff(db):
    return get_user_model().objects.create_superuser("dolma", "dolma@example.org", PASSWORD)


def sign_in(client, password, username="dolma", address="127.0.0.1", forwarded=None):
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": username, "password": password, "next": "/admin/"},
        REMOTE_ADDR=address,
        **headers,
    )


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url", ["/", "/en/projects/", "/admin/login/", "/api/v1/projects/", "/healthz", "/nowhere/"]
)
def test_every_response_carries_the_security_headers(client, url):
    response = client.get(url)

    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["Permissions-Policy"] == (
        "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
    )
    assert directives(response["Content-Security-Policy"]) == POLICY
    assert "unsafe-inline" not in response["Content-Security-Policy"]


@pytest.mark.django_db
def test_public_pages_have_no_inline_style_or_script(client, demo_data):
    project = Project.objects.filter(published=True, indicators__isnull=False).first()

    for url in ["/", "/en/", "/en/projects/", f"/projects/{project.code}/", "/timeline/"]:
        page = client.get(url).content.decode()
        assert " style=" not in page, url
        assert "<style" not in page, url
        assert "<script" not in page, url

    home = client.get("/en/").content.decode()
    assert '<rect class="bar" width="' in home
    detail = client.get(f"/en/projects/{project.code}/").content.decode()
    assert 'role="progressbar"' in detail
    assert '<rect class="progress-fill" width="' in detail


@pytest.mark.django_db
@pytest.mark.urls("tests.test_security")
def test_the_split_api_docs_load_their_script_and_style_from_files(client):
    page = client.get("/split-docs/")
    script = client.get("/split-docs/?script=")

    html = page.content.decode()
    assert page.status_code == 200
    assert "<style" not in html and " style=" not in html
    assert '<script src="/split-docs/?script="></script>' in html
    assert "/static/css/api-docs.css" in html
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()
    assert "unsafe-inline" not in page["Content-Security-Policy"]


def test_force_login_still_works(client, staff):
    client.force_login(staff)

    assert client.get("/admin/").status_code == 200


def test_five_bad_passwords_lock_the_username_out_from_that_address(client, staff):
    for attempt in range(1, 5):
        response = sign_in(client, "wrong")
        assert response.status_code == 200, attempt  # the form again, with its error

    fifth = sign_in(client, "wrong")
    sixth = sign_in(client, PASSWORD)

    assert fifth.status_code == 429
    assert sixth.status_code == 429
    assert not signed_in(client)
    page = sixth.content.decode()
    assert "<h1>" in page and 'class="site-header"' in page  # the portal's own page
    assert "登录已暂停" in page
    assert "为保护账号，登录已暂停" in page
    assert "请在 30 分钟后再试。" in page
    assert "unsafe-inline" not in sixth["Content-Security-Policy"]


def test_the_lockout_page_speaks_the_visitors_language(client, staff):
    for _ in range(5):
        client.post(
            "/en/admin/login/", {"username": "dolma", "password": "wrong", "next": "/en/admin/"}
        )

    response = client.post("/en/admin/login/", {"username": "dolma", "password": PASSWORD})

    assert response.status_code == 429
    assert "Sign-in paused" in response.content.decode()
    assert "Try again in 30 minutes." in response.content.decode()


def test_the_lockout_is_per_username_and_address(client, staff):
    for _ in range(5):
        sign_in(client, "wrong")

    from_elsewhere = sign_in(client, PASSWORD, address="192.0.2.7")

    assert from_elsewhere.status_code == 302
    assert signed_in(client)


def test_with_no_proxy_a_forged_x_forwarded_for_does_not_escape_the_lock(client, staff, settings):
    settings.NUM_PROXIES = 0
    for n in range(1, 6):
        sign_in(client, "wrong", forwarded=f"203.0.113.{n}")

    response = sign_in(client, PASSWORD, forwarded="203.0.113.99")

    assert response.status_code == 429
    assert not signed_in(client)
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"127.0.0.1"}


def test_behind_a_proxy_the_lock_counts_the_address_the_proxy_saw(client, staff, settings):
    settings.NUM_PROXIES = 1
    proxy = "10.0.0.5"
    for _ in range(5):
        # A forged entry on the left; the proxy appended the real address on the right.
        sign_in(client, "wrong", address=proxy, forwarded="192.0.2.1, 203.0.113.1")

    locked = sign_in(client, PASSWORD, address=proxy, forwarded="203.0.113.1")
    other_caller = sign_in(client, PASSWORD, address=proxy, forwarded="203.0.113.2")

    assert locked.status_code == 429
    assert other_caller.status_code == 302
    assert signed_in(client)
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.1"}


def test_a_successful_sign_in_resets_the_count(client, staff):
    for _ in range(4):
        sign_in(client, "wrong")
    assert sign_in(client, PASSWORD).status_code == 302
    client.logout()

    for _ in range(4):
        assert sign_in(client, "wrong").status_code == 200
    assert sign_in(client, PASSWORD).status_code == 302


@pytest.mark.django_db
def test_healthz_answers_ok_when_the_database_answers(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "eager"}
    assert "no-store" in response["Cache-Control"]
    assert client.head("/healthz").status_code == 200
    assert client.post("/healthz").status_code == 405


@pytest.mark.django_db
def test_healthz_reports_the_broker(client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/11"
    assert client.get("/healthz").json()["broker"] == "ok"

    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{closed_port()}/0"
    response = client.get("/healthz")

    # The web worker still serves pages: the broker's failure is reported, not fatal.
    assert response.status_code == 200
    assert response.json()["broker"] == "OperationalError"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_healthz_answers_503_when_the_database_is_unreachable():
    code = (
        "import json; from django.test import Client;"
        "r = Client().get('/healthz');"
        "print(json.dumps([r.status_code, r.json(), r['Cache-Control']]))"
    )

    result = manage(
        "shell",
        "-c",
        code,
        DATABASE_URL=f"postgres://postgres@127.0.0.1:{closed_port()}/aidportal",
        MIGRATION_DATABASE_URL="",  # a web process needs no owner's URL
        ALLOWED_HOSTS="testserver",
        REDIS_URL="",
        CELERY_BROKER_URL="",
    )

    assert result.returncode == 0, result.stderr
    status, body, cache_control = json.loads(result.stdout.strip().splitlines()[-1])
    assert status == 503
    assert body == {"status": "unavailable", "database": "OperationalError", "broker": "eager"}
    assert "no-store" in cache_control


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url", ["/", "/en/projects/", "/admin/", "/admin/login/", "/api/v1/projects/", "/healthz"]
)
def test_trace_is_a_405_everywhere(client, staff, url):
    client.force_login(staff)

    response = client.generic("TRACE", url)

    assert response.status_code == 405
    assert "TRACE" not in response["Allow"] and "GET" in response["Allow"]
    assert response["X-Frame-Options"] == "DENY"  # refused, still with every header
    if url.startswith("/api/"):
        assert response["Content-Type"] == "application/problem+json"
        assert response.json()["type"] == "/api/v1/problems/method-not-allowed"


@pytest.mark.django_db
def test_a_staff_session_lasts_eight_hours(client, staff):
    sign_in(client, PASSWORD)

    assert signed_in(client)
    assert client.cookies["sessionid"]["max-age"] == 8 * 60 * 60
    assert client.session.get_expiry_age() == 8 * 60 * 60


@pytest.mark.django_db
def test_the_language_cookie_is_http_only_and_same_site(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})

    assert response.status_code == 302
    cookie = response.cookies["django_language"]
    assert cookie.value == "en"
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"


def test_production_sends_the_language_cookie_over_https_only():
    code = (
        "from django.conf import settings as s;"
        "print(s.LANGUAGE_COOKIE_SECURE, s.LANGUAGE_COOKIE_HTTPONLY, s.LANGUAGE_COOKIE_SAMESITE)"
    )
    result = manage(
        "shell",
        "-c",
        code,
        PRODUCTION="1",
        SECRET_KEY="k" * 60,
        ALLOWED_HOSTS="a.example.org",
        REDIS_URL=PRODUCTION_REDIS,
    )
    assert result.returncode == 0, result.stderr
    assert "True True Lax" in result.stdout
