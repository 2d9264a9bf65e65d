"""Who is calling: anonymous, a partner organisation's key, or a signed-in staff member."""

from dataclasses import dataclass
from typing import TYPE_CHECKING

from api.models import ApiKey

if TYPE_CHECKING:
    from django.contrib.auth.models import User


@dataclass(frozen=True)
class Caller:
    key: ApiKey | None = None
    user: "User | None" = None

    @property
    def is_anonymous(self) -> bool:
        return self.key is None and self.user is None

    @property
    def is_staff(self) -> bool:
        return self.user is not None

    @property
    def organisation_id(self) -> int | None:
        return self.key.organisation_id if self.key else None

    @property
    def identity(self) -> str:
        """Scope for idempotency keys and throttles: one per key or per user."""
        if self.key is not None:
            return f"key:{self.key.pk}"
        if self.user is not None:
            return f"user:{self.user.pk}"
        return "anonymous"

    def has_perm(self, perm: str) -> bool:
        return self.user is not None and self.user.has_perm(perm)


def caller_of(request: object) -> Caller:
    auth = getattr(request, "auth", None)
    if isinstance(auth, ApiKey):
        return Caller(key=auth)
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.is_active and user.is_staff:
        return Caller(user=user)
    return Caller()
