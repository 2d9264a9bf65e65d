from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from aidportal.api.keys import issue_api_key, revoke_api_key
from aidportal.api.models import ApiKey, AuditEntry


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = [
        "prefix",
        "name",
        "organisation",
        "scope",
        "expires_on",
        "revoked_at",
        "last_used_at",
        "created_at",
    ]
    list_filter = ["scope", ("revoked_at", admin.EmptyFieldListFilter), "organisation"]
    search_fields = ["prefix", "name", "organisation__code", "organisation__name_zh_hans"]
    autocomplete_fields = ["organisation"]
    list_select_related = ["organisation"]
    actions = ["revoke"]
    readonly_fields = ["prefix", "created_at", "created_by", "revoked_at", "last_used_at"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["organisation", "name", "scope", "expires_on"]
        return ["organisation", "name", "scope", "expires_on", *self.readonly_fields]

    def get_readonly_fields(self, request, obj=None):
        # A key's owner and scope never change: issue a new key instead.
        if obj is None:
            return []
        return ["organisation", "scope", *self.readonly_fields]

    def save_model(self, request, obj, form, change):
        if change:
            obj.save()
            return
        key, raw = issue_api_key(
            organisation=obj.organisation,
            name=obj.name,
            scope=obj.scope,
            expires_on=obj.expires_on,
            created_by=request.user,
        )
        obj.pk = key.pk
        obj._raw_key = raw

    def response_add(self, request, obj, post_url_continue=None):
        # Shown once, in this response only: the key is never stored in a session or cookie.
        context = {
            **self.admin_site.each_context(request),
            "title": _("New API key"),
            "key": obj,
            "raw_key": obj._raw_key,
            "opts": self.opts,
        }
        return TemplateResponse(request, "admin/api/apikey/created.html", context)

    @admin.action(description=_("Revoke the selected keys"), permissions=["change"])
    def revoke(self, request, queryset):
        for key in queryset.filter(revoked_at__isnull=True):
            revoke_api_key(key=key)
        count = queryset.count()
        self.message_user(
            request,
            ngettext("%(count)d key is revoked.", "%(count)d keys are revoked.", count)
            % {"count": count},
            messages.SUCCESS,
        )


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = [
        "at",
        "action",
        "model",
        "object_repr",
        "organisation",
        "api_key",
        "user",
        "path",
    ]
    list_filter = ["action", "model", "organisation"]
    search_fields = ["object_repr", "object_id", "path", "idempotency_key"]
    list_select_related = ["organisation", "api_key", "api_key__organisation", "user"]
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
