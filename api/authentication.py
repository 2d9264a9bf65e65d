from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from api.keys import InvalidKey, check_api_key
from api.models import ApiKey
from second_factor import services as second_factor

if TYPE_CHECKING:
    from rest_framework.request import Request

MESSAGES = {
    "unknown": _("The API key is not known."),
    "revoked": _("The API key has been revoked."),
    "expired": _("The API key has expired."),
}


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <key>`: the caller is the key's organisation, not a user."""

    keyword = "bearer"

    def authenticate(self, request: "Request") -> tuple[AnonymousUser, ApiKey] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                _("Send the header as: Authorization: Bearer <key>.")
            )
        try:
            key = check_api_key(header[1].decode("latin-1"))
        except InvalidKey as error:
            raise exceptions.AuthenticationFailed(MESSAGES[str(error)]) from None
        return AnonymousUser(), key

    def authenticate_header(self, request: "Request") -> str:
        return 'Bearer realm="api"'


class VerifiedSessionAuthentication(authentication.SessionAuthentication):
    """A staff session, once the sign-in is complete: someone who must confirm a second factor
    (the second_factor app) and has only typed the password is refused, reads included."""

    def authenticate(self, request: "Request") -> tuple[Any, None] | None:
        result = super().authenticate(request)
        if result is None:
            return None
        user = result[0]
        if not second_factor.is_verified(user) and second_factor.must_verify(user):
            raise exceptions.AuthenticationFailed(
                _(
                    "Your sign-in is not complete: enter the code from your authenticator app "
                    "in the admin first."
                )
            )
        return result
