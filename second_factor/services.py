"""Who signs in with a second factor, and every change to a user's devices.

The rule: staff who can approve money or read pupils' records, and superusers, confirm each
sign-in with a code from an authenticator app (TOTP, RFC 6238) or a single-use recovery code.
Anyone who has enrolled a device, by rule or by choice, is asked for it too. The devices are
django-otp's: a TOTPDevice per user, and a StaticDevice holding the recovery codes.
"""

from base64 import b32encode
from typing import TYPE_CHECKING, cast

import django_otp
from django.db import transaction
from django.http import HttpRequest
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

# Approving money: large disbursements, and going beyond the funds arrived.
MONEY_PERMISSIONS = ("funding.approve_disbursement", "funding.record_beyond_arrivals")
# Pupils' records: any permission on students, their enrolments or their results (in the admin
# a change or add permission also shows the record).
PUPIL_PERMISSIONS = tuple(
    f"education.{action}_{model}"
    for model in ("student", "enrolment", "examresult")
    for action in ("view", "add", "change", "delete")
)
SENSITIVE_PERMISSIONS = MONEY_PERMISSIONS + PUPIL_PERMISSIONS

RECOVERY_CODE_COUNT = 10
TOTP_DIGITS = 6


class WrongCode(Exception):
    """The code matched no device; `throttled` when the device refused to check it yet."""

    def __init__(self, *, throttled: bool = False):
        super().__init__("throttled" if throttled else "wrong")
        self.throttled = throttled


def requires_second_factor(user: "User | AnonymousUser") -> bool:
    """The one rule: superusers, and staff holding any permission that approves money or reads
    pupils' records."""
    if not (user.is_authenticated and user.is_active):
        return False
    return user.is_superuser or any(user.has_perm(perm) for perm in SENSITIVE_PERMISSIONS)


def authenticator_of(user: "User | AnonymousUser") -> TOTPDevice | None:
    """The user's confirmed authenticator, if they have enrolled one."""
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).first()


def must_verify(user: "User | AnonymousUser") -> bool:
    """Whether this user's session needs the second step before staff pages and the API."""
    return requires_second_factor(user) or authenticator_of(user) is not None


def is_verified(user: "User | AnonymousUser") -> bool:
    return getattr(user, "otp_device", None) is not None


@transaction.atomic
def start_enrolment(*, user: "User") -> TOTPDevice:
    """The unconfirmed authenticator the user is scanning; the same secret until confirmed."""
    device = TOTPDevice.objects.devices_for_user(user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    return device


def secret_of(device: TOTPDevice) -> str:
    """The secret as authenticator apps take it typed in: base32, in groups of four."""
    secret = b32encode(device.bin_key).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def confirm_enrolment(*, request: HttpRequest, device: TOTPDevice, code: str) -> list[str]:
    """Confirms the authenticator with a code it shows, marks the session verified and returns
    fresh recovery codes (shown once: only the codes' holder can read them again). A wrong code
    counts against the device's back-off, as at every later sign-in."""
    allowed, _ = device.verify_is_allowed()
    if not allowed:
        raise WrongCode(throttled=True)
    # Checked in django-otp's own transaction, so a wrong code's back-off is kept.
    verified = django_otp.verify_token(request.user, device.persistent_id, normalise(code))
    if verified is None:
        raise WrongCode()
    with transaction.atomic():
        verified.confirmed = True
        verified.save(update_fields=["confirmed"])
        # A second enrolment page opened at the same time left a secret nobody confirmed.
        TOTPDevice.objects.filter(user=request.user, confirmed=False).delete()
        # The enrolment page is login_required: the caller is signed in.
        codes = new_recovery_codes(user=cast("User", request.user))
    _mark_verified(request, verified)
    return codes


@transaction.atomic
def new_recovery_codes(*, user: "User") -> list[str]:
    """Replaces the user's recovery codes with RECOVERY_CODE_COUNT new ones."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name="recovery codes")
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def normalise(code: str) -> str:
    return "".join(code.split()).lower()


def verify_second_factor(*, request: HttpRequest, code: str) -> None:
    """Checks a code from the authenticator (six digits) or a recovery code (used up by it) and
    marks the session verified. Wrong codes count against the device's back-off."""
    user = request.user
    code = normalise(code)
    if code.isdigit() and len(code) == TOTP_DIGITS:
        devices = TOTPDevice.objects.devices_for_user(user, confirmed=True)
    else:
        devices = StaticDevice.objects.devices_for_user(user, confirmed=True)
    throttled = False
    for device in devices:
        allowed, _ = device.verify_is_allowed()
        if not allowed:
            throttled = True
            continue
        verified = django_otp.verify_token(user, device.persistent_id, code)
        if verified is not None:
            _mark_verified(request, verified)
            return
    raise WrongCode(throttled=throttled)


def _mark_verified(request: HttpRequest, device: TOTPDevice | StaticDevice) -> None:
    # A new session key once the sign-in is complete, as Django does at the password step.
    request.session.cycle_key()
    django_otp.login(request, device)


@transaction.atomic
def reset_second_factor(*, user: "User") -> bool:
    """Removes the user's authenticator and recovery codes: their next sign-in enrols again.
    Sessions verified with the removed device lose their verification at once. False when the
    user had none."""
    authenticators, _ = TOTPDevice.objects.filter(user=user).delete()
    recovery, _ = StaticDevice.objects.filter(user=user).delete()
    return bool(authenticators or recovery)
