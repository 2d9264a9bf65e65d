"""Staff who can approve money or read pupils' records sign in with a second factor: the wall
in front of every admin page and the API, enrolment, codes, recovery codes, the lockout and the
reset. Everyone here signs in through the real forms, never force_login."""

import re
import time

import pytest
import segno
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from funding.models import LedgerEntry
from second_factor import services
from tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db

PASSWORD = "pw-Long-enough-1"
ENROL = "/admin/second-factor/enrol/"
VERIFY = "/admin/second-factor/"
WRONG_CODE = "验证码不正确"  # the admin is in Chinese unless under /en/


def person(username: str, group: str | None = None, **extra) -> User:
    user = User.objects.create_user(username, password=PASSWORD, is_staff=True, **extra)
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


def enrolled(user: User) -> TOTPDevice:
    device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    services.new_recovery_codes(user=user)
    return device


def code_for(device: TOTPDevice, steps_ahead: int = 0) -> str:
    """What the user's authenticator app shows, now or `steps_ahead` periods later (each code
    works once, so a second sign-in in the same period uses the next one)."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


def password_sign_in(client: Client, username: str, prefix: str = "") -> None:
    response = client.post(
        f"{prefix}/admin/login/",
        {"username": username, "password": PASSWORD, "next": f"{prefix}/admin/"},
    )
    assert response.status_code == 302, response.content


def admin_pages() -> list[str]:
    pages = [
        "/admin/",
        "/en/admin/",
        "/admin/password_change/",
        "/admin/funding/ledgerentry/add/",
        "/admin/funding/ledgerentry/import/",
        "/en/admin/education/examresult/import/",
    ]
    for model in admin.site._registry:
        pages.append(reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"))
    return pages


@pytest.mark.parametrize("role", ["Finance approver", "Education staff", "superuser"])
def test_who_must_use_a_second_factor_is_sent_to_enrolment_from_every_admin_page(role):
    if role == "superuser":
        User.objects.create_superuser("dolma", password=PASSWORD)
    else:
        person("dolma", role)
    client = Client()
    password_sign_in(client, "dolma")

    for page in admin_pages():
        response = client.get(page)
        assert response.status_code == 302, page
        prefix = "/en" if page.startswith("/en/") else ""
        assert response["Location"].startswith(f"{prefix}{ENROL}?next="), page

    enrolment = client.get(client.get("/en/admin/")["Location"])
    assert enrolment.status_code == 200
    assert "Set up your second factor" in enrolment.content.decode()


def test_with_an_authenticator_the_password_alone_leads_to_code_entry():
    user = person("tashi", "Finance approver")
    enrolled(user)
    client = Client()
    password_sign_in(client, "tashi")

    response = client.get("/admin/funding/ledgerentry/")

    assert response.status_code == 302
    assert response["Location"] == f"{VERIFY}?next=%2Fadmin%2Ffunding%2Fledgerentry%2F"
    assert client.get(response["Location"]).status_code == 200


@pytest.mark.parametrize("role", ["Programme staff", "Finance officer", "Auditor"])
def test_other_staff_sign_in_with_their_password_as_before(role):
    person("pema", role)
    client = Client()
    password_sign_in(client, "pema")

    assert client.get("/admin/").status_code == 200
    assert not TOTPDevice.objects.exists()


@pytest.mark.parametrize(
    "role,required",
    [
        ("Finance approver", True),
        ("Education staff", True),
        ("Finance officer", False),
        ("Programme staff", False),
        ("Auditor", False),
        ("Health commission", False),
    ],
)
def test_the_rule_follows_the_permissions_of_each_role(role, required):
    assert services.requires_second_factor(person("someone", role)) is required


def test_one_sensitive_permission_given_directly_is_enough():
    from django.contrib.auth.models import Permission

    user = person("lhamo")
    user.user_permissions.add(Permission.objects.get(codename="view_examresult"))

    assert services.requires_second_factor(User.objects.get(pk=user.pk))


def test_enrolment_shows_a_qr_code_and_the_key_then_recovery_codes_once():
    user = person("dolma", "Finance approver")
    client = Client()
    password_sign_in(client, "dolma")

    page = client.get(f"{ENROL}?next=/admin/funding/ledgerentry/")
    html = page.content.decode()
    device = TOTPDevice.objects.get(user=user)
    assert not device.confirmed
    assert '<svg width="' in html and 'class="qr-code"' in html  # drawn on the server
    assert " style=" not in html and "<script" not in html.split("</head>")[1]
    secret = re.search(r"data-secret>([A-Z2-7 ]+)<", html).group(1).replace(" ", "")
    assert secret == services.secret_of(device).replace(" ", "")
    # The QR code holds the key URI authenticator apps read, named after the portal and user.
    uri = f"otpauth://totp/AidPortal%3Adolma?secret={secret}&algorithm=SHA1&digits=6&period=30"
    qr = segno.make(f"{uri}&issuer=AidPortal", error="m")
    assert qr.svg_inline(scale=4, border=2, dark="#000", light="#fff", svgclass="qr-code") in html

    done = client.post(ENROL, {"code": code_for(device), "next": "/admin/funding/ledgerentry/"})

    codes = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", done.content.decode())
    assert len(codes) == services.RECOVERY_CODE_COUNT
    assert sorted(codes) == sorted(StaticToken.objects.values_list("token", flat=True))
    assert TOTPDevice.objects.get(user=user).confirmed
    assert 'href="/admin/funding/ledgerentry/"' in done.content.decode()
    assert client.get("/admin/funding/ledgerentry/").status_code == 200
    # Shown once: the enrolment page now asks for a code instead.
    assert client.get(ENROL)["Location"].startswith(VERIFY)


def test_a_wrong_code_at_enrolment_confirms_nothing():
    user = person("dolma", "Education staff")
    client = Client()
    password_sign_in(client, "dolma")
    client.get(ENROL)
    device = TOTPDevice.objects.get(user=user)
    wrong = f"{(int(code_for(device)) + 1) % 1_000_000:06d}"

    response = client.post(ENROL, {"code": wrong})

    assert response.status_code == 200
    assert WRONG_CODE in response.content.decode()
    device.refresh_from_db()
    assert not device.confirmed and device.throttling_failure_count == 1  # the back-off counts
    assert not StaticToken.objects.exists()
    assert client.get("/admin/")["Location"].startswith(ENROL)


def test_a_wrong_code_is_refused_and_the_right_one_completes_the_sign_in(settings):
    user = person("tashi", "Finance approver")
    device = enrolled(user)
    client = Client()
    password_sign_in(client, "tashi")
    wrong = f"{(int(code_for(device)) + 1) % 1_000_000:06d}"

    refused = client.post(VERIFY, {"code": wrong, "next": "/admin/"})

    assert refused.status_code == 200
    assert WRONG_CODE in refused.content.decode()
    assert client.get("/admin/").status_code == 302

    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # no back-off wait between the two tries here
    accepted = client.post(VERIFY, {"code": code_for(device), "next": "/admin/"})

    assert accepted.status_code == 302 and accepted["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_a_code_is_refused_again_after_a_wrong_one_until_the_back_off_passes():
    user = person("tashi", "Finance approver")
    device = enrolled(user)
    client = Client()
    password_sign_in(client, "tashi")
    client.post(VERIFY, {"code": "000000" if code_for(device) != "000000" else "111111"})

    response = client.post(VERIFY, {"code": code_for(device)})

    assert "连续输错次数过多" in response.content.decode()
    assert client.get("/admin/").status_code == 302


def test_a_recovery_code_signs_in_once():
    user = person("tashi", "Finance approver")
    enrolled(user)
    code = StaticToken.objects.first().token
    first = Client()
    password_sign_in(first, "tashi")

    assert first.post(VERIFY, {"code": code.upper()}).status_code == 302
    assert first.get("/admin/").status_code == 200
    assert StaticToken.objects.count() == services.RECOVERY_CODE_COUNT - 1

    second = Client()
    password_sign_in(second, "tashi")
    again = second.post(VERIFY, {"code": code})

    assert WRONG_CODE in again.content.decode()
    assert second.get("/admin/").status_code == 302


def test_five_wrong_codes_sign_the_user_out_and_lock_the_username():
    user = person("tashi", "Finance approver")
    device = enrolled(user)
    client = Client()
    password_sign_in(client, "tashi")
    wrong = "000000" if code_for(device) != "000000" else "111111"

    for attempt in range(4):
        assert client.post(VERIFY, {"code": wrong}).status_code == 200, attempt
    fifth = client.post(VERIFY, {"code": wrong})

    assert fifth.status_code == 429
    assert "登录已暂停" in fifth.content.decode()
    assert "_auth_user_id" not in client.session
    again = client.post("/admin/login/", {"username": "tashi", "password": PASSWORD})
    assert again.status_code == 429


def test_english_admin_leads_to_english_code_entry_and_back():
    user = person("tashi", "Education staff")
    device = enrolled(user)
    client = Client()
    password_sign_in(client, "tashi", prefix="/en")

    step = client.get("/en/admin/education/")
    assert step["Location"] == "/en/admin/second-factor/?next=%2Fen%2Fadmin%2Feducation%2F"
    page = client.get(step["Location"])
    assert "Enter your code" in page.content.decode()

    done = client.post(step["Location"], {"code": code_for(device), "next": "/en/admin/education/"})
    assert done["Location"] == "/en/admin/education/"


def test_a_sign_in_cannot_be_sent_elsewhere_after_the_code():
    device = enrolled(person("tashi", "Finance approver"))
    client = Client()
    password_sign_in(client, "tashi")

    done = client.post(VERIFY, {"code": code_for(device), "next": "https://evil.example/"})

    assert done["Location"] == "/admin/"


def test_staff_may_enrol_by_choice_and_are_then_asked_for_the_code():
    user = person("pema", "Programme staff")
    client = Client()
    password_sign_in(client, "pema")
    client.get(ENROL)
    device = TOTPDevice.objects.get(user=user)
    client.post(ENROL, {"code": code_for(device)})
    client.post("/admin/logout/")

    password_sign_in(client, "pema")

    assert client.get("/admin/")["Location"].startswith(VERIFY)
    client.post(VERIFY, {"code": code_for(device, steps_ahead=1)})
    assert client.get("/admin/").status_code == 200


# -- the API: staff sessions -------------------------------------------------------------------


def entry_body(project) -> dict:
    return {
        "project": project.code,
        "type": "incoming_funds",
        "date": "2024-05-01",
        "amount": "1000.00",
    }


def test_an_api_write_with_a_password_only_session_is_refused_and_writes_nothing():
    project = ProjectFactory(code="HZ-API")
    device = enrolled(person("tashi", "Finance approver"))
    client = Client()
    password_sign_in(client, "tashi")

    refused = client.post(
        "/api/v1/funding/entries/",
        entry_body(project),
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert refused.status_code == 401
    assert refused["Content-Type"] == "application/problem+json"
    assert "authenticator" in refused.json()["detail"]
    assert not LedgerEntry.objects.exists()

    client.post(VERIFY, {"code": code_for(device)})
    accepted = client.post(
        "/api/v1/funding/entries/", entry_body(project), content_type="application/json"
    )
    assert accepted.status_code == 201, accepted.content
    assert LedgerEntry.objects.get().recorded_by.username == "tashi"


def test_pupils_records_in_the_api_need_the_completed_sign_in():
    person("lhamo", "Education staff")
    client = Client()
    password_sign_in(client, "lhamo")

    response = client.get("/api/v1/education/students/")
    english = client.get("/api/v1/education/students/", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert "身份验证器" in response.json()["detail"]
    assert "authenticator" in english.json()["detail"]


def test_other_staff_use_the_api_with_their_password_session():
    person("pema", "Programme staff")
    client = Client()
    password_sign_in(client, "pema")

    assert client.get("/api/v1/updates/").status_code == 200


# -- resetting a lost device -------------------------------------------------------------------


def reset(client, user):
    return client.post(
        "/admin/auth/user/",
        {"action": "reset_second_factor", "_selected_action": [user.pk]},
        follow=True,
    )


def test_a_superuser_resets_a_lost_device_and_the_user_enrols_again():
    tashi = person("tashi", "Finance approver")
    device = enrolled(tashi)
    root = User.objects.create_superuser("root", password=PASSWORD)
    lost = Client()
    password_sign_in(lost, "tashi")
    lost.post(VERIFY, {"code": code_for(device)})
    admin_client = Client()
    admin_client.force_login(root)

    response = reset(admin_client, tashi)

    assert "1 位用户将在下次登录时重新设置第二重验证" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=tashi).exists()
    assert not StaticToken.objects.filter(device__user=tashi).exists()
    assert LogEntry.objects.filter(object_id=str(tashi.pk)).exists()
    # The session the lost phone verified is verified no more.
    assert lost.get("/admin/")["Location"].startswith(ENROL)


def test_only_superusers_may_reset_a_second_factor():
    from django.contrib.auth.models import Permission

    tashi = person("tashi", "Finance approver")
    enrolled(tashi)
    manager = person("manager")
    manager.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_user", "change_user"])
    )
    client = Client()
    client.force_login(manager)

    page = client.get("/admin/auth/user/")
    assert page.status_code == 200
    assert "reset_second_factor" not in page.content.decode()
    reset(client, tashi)
    assert TOTPDevice.objects.filter(user=tashi).exists()


def test_the_user_list_says_who_has_enrolled():
    enrolled(person("tashi", "Finance approver"))
    person("pema", "Programme staff")
    client = Client()
    client.force_login(User.objects.create_superuser("root", password=PASSWORD))

    with CaptureQueriesContext(connection) as few:
        html = client.get("/en/admin/auth/user/").content.decode()
    for n in range(10):
        enrolled(person(f"more-{n}"))
    with CaptureQueriesContext(connection) as more:
        client.get("/en/admin/auth/user/")

    assert len(more) == len(few)  # one query answers the column for every row

    assert "Second factor" in html
    cells = dict(
        re.findall(
            r'<a href="/en/admin/auth/user/\d+/change/">(\w+)</a>.*?'
            r'<td class="field-has_second_factor"><img [^>]*alt="(\w+)"',
            html,
            re.S,
        )
    )
    assert cells == {"pema": "False", "root": "True", "tashi": "True"}


def test_the_devices_are_not_in_the_admin_where_a_key_could_be_set_or_read():
    from django_otp.plugins.otp_static.models import StaticDevice

    assert TOTPDevice not in admin.site._registry
    assert StaticDevice not in admin.site._registry


def test_the_command_resets_a_lost_device(capsys):
    tashi = person("tashi", "Finance approver")
    enrolled(tashi)

    call_command("reset_second_factor", "tashi")

    assert "tashi will set up a second factor" in capsys.readouterr().out
    assert not TOTPDevice.objects.filter(user=tashi).exists()


def test_a_verified_user_makes_new_recovery_codes_and_the_old_ones_stop_working():
    user = person("tashi", "Finance approver")
    device = enrolled(user)
    old = list(StaticToken.objects.values_list("token", flat=True))
    client = Client()
    password_sign_in(client, "tashi")
    client.post(VERIFY, {"code": code_for(device)})
    assert (
        'href="/en/admin/second-factor/recovery-codes/"'
        in client.get("/en/admin/").content.decode()
    )

    page = client.post("/en/admin/second-factor/recovery-codes/")

    codes = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", page.content.decode())
    assert len(codes) == services.RECOVERY_CODE_COUNT
    assert sorted(StaticToken.objects.values_list("token", flat=True)) == sorted(codes)
    assert not set(old) & set(codes)


def test_new_recovery_codes_need_the_completed_sign_in():
    user = person("tashi", "Finance approver")
    enrolled(user)
    old = sorted(StaticToken.objects.values_list("token", flat=True))
    client = Client()
    password_sign_in(client, "tashi")

    response = client.post("/admin/second-factor/recovery-codes/")

    assert response["Location"].startswith(VERIFY)
    assert sorted(StaticToken.objects.values_list("token", flat=True)) == old


def test_staff_without_a_device_find_voluntary_enrolment_in_the_admin_header():
    person("pema", "Programme staff")
    client = Client()
    password_sign_in(client, "pema", prefix="/en")

    html = client.get("/en/admin/").content.decode()

    assert 'href="/en/admin/second-factor/enrol/">Set up a second factor</a>' in html


def test_createsuperuser_says_the_first_sign_in_sets_up_a_second_factor(capsys, monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", PASSWORD)

    call_command("createsuperuser", "--noinput", username="root", email="root@example.org")

    out = capsys.readouterr().out
    assert "Superuser created successfully." in out
    assert "The first sign-in sets up a second factor" in out and "authenticator app" in out
    assert User.objects.get(username="root").is_superuser
