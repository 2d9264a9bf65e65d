"""Issuing, checking and revoking partner API keys.

A key reads `ap_<prefix>.<secret>`. The prefix finds the row; the SHA-256 of the whole key,
compared in constant time, proves it. Keys are 256 bits of randomness, so a fast hash is safe.
"""

import datetime
import hashlib
import hmac
import secrets
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from api.capabilities import CAPABILITIES
from api.models import ApiKey, KeyCapability
from reference.models import Organisation

if TYPE_CHECKING:
    from django.contrib.auth.models import User

KEY_PREFIX = "ap_"
LAST_USED_RESOLUTION = datetime.timedelta(minutes=1)


class InvalidKey(Exception):
    """The presented key is unknown, revoked or expired; the message says which."""


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def issue_api_key(
    *,
    organisation: Organisation,
    name: str,
    capabilities: Iterable[str] = (),
    expires_on: datetime.date | None = None,
    created_by: "User | None" = None,
    granted_by: "User | None" = None,
) -> tuple[ApiKey, str]:
    """Create a key and return it with its one and only plain-text copy.

    The key reads and may write only what `capabilities` name (none by default). A capability
    with a grant permission (`funding:entries`) is granted only by a user who holds it; the
    grantor, `granted_by` or else `created_by`, is recorded with each capability.
    """
    codes = sorted(set(capabilities))
    granted_by = granted_by or created_by
    unknown = [code for code in codes if code not in CAPABILITIES]
    if unknown:
        raise ValidationError(
            {"capabilities": [_("Unknown capability: %(codes)s.") % {"codes": ", ".join(unknown)}]}
        )
    for code in codes:
        permission = CAPABILITIES[code].grant_permission
        if permission and (granted_by is None or not granted_by.has_perm(permission)):
            raise ValidationError(
                {"capabilities": [CAPABILITIES[code].grant_refusal % {"code": code}]}
            )
    prefix = secrets.token_hex(6)
    raw = f"{KEY_PREFIX}{prefix}.{secrets.token_urlsafe(32)}"
    key = ApiKey(
        organisation=organisation,
        name=name,
        prefix=prefix,
        hashed_key=_hash(raw),
        expires_on=expires_on,
        created_by=created_by,
    )
    key.full_clean()
    key.save()
    KeyCapability.objects.bulk_create(
        KeyCapability(key=key, code=code, granted_by=granted_by) for code in codes
    )
    return key, raw


def revoke_api_key(*, key: ApiKey) -> ApiKey:
    """Revoke at once; a revoked key never works again."""
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=key.revoked_at)
    return key


def check_api_key(raw: str) -> ApiKey:
    """The active key `raw` stands for, or InvalidKey; records when it was last used."""
    if not raw.startswith(KEY_PREFIX) or "." not in raw:
        raise InvalidKey("unknown")
    prefix = raw[len(KEY_PREFIX) :].split(".", 1)[0]
    key = ApiKey.objects.select_related("organisation").filter(prefix=prefix).first()
    if key is None or not hmac.compare_digest(key.hashed_key, _hash(raw)):
        raise InvalidKey("unknown")
    if key.revoked_at is not None:
        raise InvalidKey("revoked")
    if key.is_expired:
        raise InvalidKey("expired")
    now = timezone.now()
    # One write a minute at most, whatever the request rate.
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key
