"""The user list says who has enrolled a second factor; superusers may reset it.

django-otp's own device admins are removed: they let an administrator add a device with a key
of their choosing for someone else, or read recovery codes. Resetting is the one action needed.
"""

# This app comes before django.contrib.auth and django-otp, so their admin modules are imported
# here first: they register the models this module replaces or removes.
import django_otp.plugins.otp_static.admin  # noqa: F401
import django_otp.plugins.otp_totp.admin  # noqa: F401
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.admin import PermissionLabelsMixin
from second_factor import services

User = get_user_model()

admin.site.unregister(TOTPDevice)
admin.site.unregister(StaticDevice)
admin.site.unregister(User)


@admin.register(User)
class UserAdmin(PermissionLabelsMixin, BaseUserAdmin):
    # The stubs make UserAdmin generic, so reading its class attributes is called ambiguous.
    actions = [*(BaseUserAdmin.actions or []), "reset_second_factor"]  # type: ignore[misc]
    list_display = (*BaseUserAdmin.list_display, "has_second_factor")  # type: ignore[misc]

    def get_queryset(self, request):
        enrolled = TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)
        return super().get_queryset(request).annotate(second_factor=Exists(enrolled))

    @admin.display(description=_("second factor"), boolean=True, ordering="second_factor")
    def has_second_factor(self, user):
        return user.second_factor

    def has_reset_second_factor_permission(self, request):
        return request.user.is_superuser

    @admin.action(description=_("Reset second factor"), permissions=["reset_second_factor"])
    def reset_second_factor(self, request, queryset):
        reset = 0
        for user in queryset:
            if services.reset_second_factor(user=user):
                self.log_change(request, user, [{"changed": {"fields": ["second factor"]}}])
                reset += 1
        self.message_user(
            request,
            ngettext(
                "%(count)d user will set up a second factor again at the next sign-in.",
                "%(count)d users will set up a second factor again at the next sign-in.",
                reset,
            )
            % {"count": reset},
            messages.SUCCESS,
        )
