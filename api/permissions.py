"""The one permission layer every endpoint uses.

- Anonymous callers read published public data; they write nothing (401).
- A partner key reads public data and its own organisation's records, and writes its own
  organisation's records on an endpoint only when it was granted the capability the view names
  in `required_capability` (api/capabilities.py); otherwise a 403 names the missing one.
  Another organisation's record is not found (404): views scope their querysets with
  `visible_to(caller)` and `writable_by(caller)`, so such a record never reaches the view.
- Staff act per their groups' model permissions.
"""

from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, permissions

from api.callers import caller_of

if TYPE_CHECKING:
    from rest_framework.request import Request
    from rest_framework.views import APIView

MISSING_CAPABILITY = "missing-capability"


class MissingCapability(exceptions.PermissionDenied):
    """A key writing without the capability the endpoint needs; the problem names it."""

    default_code = MISSING_CAPABILITY

    def __init__(self, capability: str):
        super().__init__(
            _("This API key lacks the capability %(capability)s, which this operation needs.")
            % {"capability": capability},
            code=MISSING_CAPABILITY,
        )
        self.problem_extra = {"capability": capability}


ACTIONS = {"POST": "add", "PUT": "change", "PATCH": "change", "DELETE": "delete"}


class PortalPermission(permissions.BasePermission):
    def has_permission(self, request: "Request", view: "APIView") -> bool:
        if request.method in permissions.SAFE_METHODS or request.method not in view.allowed_methods:
            return True  # reads are scoped by the view's queryset; unknown methods get a 405
        caller = caller_of(request)
        if caller.is_anonymous:
            raise exceptions.NotAuthenticated(
                _("Writing needs a partner API key (Authorization: Bearer <key>) or staff sign-in.")
            )
        if caller.key is not None:
            required = getattr(view, "required_capability", None)
            if not required:
                raise exceptions.PermissionDenied(_("Partner keys cannot write here."))
            if not caller.key.has_capability(required):
                raise MissingCapability(required)
            return True
        # Writes reach only the generic views, which have a queryset.
        model = view.get_queryset().model  # type: ignore[attr-defined]
        action = ACTIONS.get(request.method, "change")
        perm = f"{model._meta.app_label}.{action}_{model._meta.model_name}"
        if not caller.has_perm(perm):
            raise exceptions.PermissionDenied(_("Your staff role does not allow this."))
        return True
