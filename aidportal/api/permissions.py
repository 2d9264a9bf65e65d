"""The one permission layer every endpoint uses.

- Anonymous callers read published public data; they write nothing (401).
- A partner key reads public data and its own organisation's records, and, with the write
  scope, writes its own organisation's records on endpoints that accept partner writes.
  Another organisation's record is not found (404): views scope their querysets with
  `visible_to(caller)` and `writable_by(caller)`, so such a record never reaches the view.
- Staff act per their groups' model permissions.
"""

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, permissions

from aidportal.api.callers import caller_of

ACTIONS = {"POST": "add", "PUT": "change", "PATCH": "change", "DELETE": "delete"}


class PortalPermission(permissions.BasePermission):
    def has_permission(self, request, view):
        if request.method in permissions.SAFE_METHODS or request.method not in view.allowed_methods:
            return True  # reads are scoped by the view's queryset; unknown methods get a 405
        caller = caller_of(request)
        if caller.is_anonymous:
            raise exceptions.NotAuthenticated(
                _("Writing needs a partner API key (Authorization: Bearer <key>) or staff sign-in.")
            )
        if caller.key is not None:
            if not getattr(view, "partner_writes", False):
                raise exceptions.PermissionDenied(_("Partner keys cannot write here."))
            if not caller.key.can_write:
                raise exceptions.PermissionDenied(_("This API key may only read."))
            return True
        model = view.get_queryset().model
        action = ACTIONS.get(request.method, "change")
        perm = f"{model._meta.app_label}.{action}_{model._meta.model_name}"
        if not caller.has_perm(perm):
            raise exceptions.PermissionDenied(_("Your staff role does not allow this."))
        return True
