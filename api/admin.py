from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from api import capabilities
from api.keys import issue_api_key, revoke_api_key
from api.models import ApiKey, AuditEntry, KeyCapability
from core.admin import ReadOnlyAdmin


class ApiKeyAddForm(forms.ModelForm):
    """A new key: what it may write is chosen here, none by default."""

    capabilities = forms.MultipleChoiceField(
        label=_("capabilities"),
        choices=capabilities.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "What the key may write, besides reading. None: it only reads. Only a finance "
            "approver may grant funding:entries."
        ),
    )

    class Meta:
        model = ApiKey
        fields = ["organisation", "name", "expires_on"]

    def clean_capabilities(self):
        codes = self.cleaned_data["capabilities"]
        for code in codes:
            permission = capabilities.CAPABILITIES[code].grant_permission
            if permission and not self.user.has_perm(permission):
                raise ValidationError(
                    _("Only a finance approver may grant %(code)s."),
                    code="grant_permission",
                    params={"code": code},
                )
        return codes


class KeyCapabilityInline(admin.TabularInline):
    """A key's capabilities and who granted them, read-only: a key is reissued, not changed."""

    model = KeyCapability
    fields = ["code", "granted_by", "granted_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_view_permission(self, request, obj=None):
        # Part of the key: whoever may see the key sees what it may do and who granted it.
        return request.user.has_perm("api.view_apikey")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = [
        "prefix",
        "name",
        "organisation",
        "capability_list",
        "expires_on",
        "revoked_at",
        "last_used_at",
        "created_at",
    ]
    list_filter = ["capabilities__code", ("revoked_at", admin.EmptyFieldListFilter), "organisation"]
    search_fields = ["prefix", "name", "organisation__code", "organisation__name_zh_hans"]
    autocomplete_fields = ["organisation"]
    list_select_related = ["organisation"]
    actions = ["revoke"]
    readonly_fields = ["prefix", "created_at", "created_by", "revoked_at", "last_used_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("capabilities")

    @admin.display(description=_("capabilities"))
    def capability_list(self, obj):
        return ", ".join(sorted(obj.capability_codes)) or _("read only")

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = ApiKeyAddForm
        form = super().get_form(request, obj, change=change, **kwargs)
        form.user = request.user
        return form

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["organisation", "name", "capabilities", "expires_on"]
        return ["organisation", "name", "capability_list", "expires_on", *self.readonly_fields]

    def get_inlines(self, request, obj):
        return [] if obj is None else [KeyCapabilityInline]

    def get_readonly_fields(self, request, obj=None):
        # A key's owner and capabilities never change: issue a new key instead.
        if obj is None:
            return []
        return ["organisation", "capability_list", *self.readonly_fields]

    def save_model(self, request, obj, form, change):
        if change:
            obj.save()
            return
        key, raw = issue_api_key(
            organisation=obj.organisation,
            name=obj.name,
            capabilities=form.cleaned_data["capabilities"],
            expires_on=obj.expires_on,
            created_by=request.user,
        )
        obj.pk = key.pk
        obj._raw_key = raw

    def save_related(self, request, form, formsets, change):
        # The capabilities were written with the key; the inline is read-only.
        if change:
            super().save_related(request, form, formsets, change)

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
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = [
        "at",
        "action",
        "model",
        "object_repr",
        "organisation",
        "actor_display",
        "path",
    ]
    list_filter = ["action", "model", "organisation"]
    search_fields = ["object_repr", "object_id", "path", "idempotency_key"]
    list_select_related = ["organisation", "api_key", "api_key__organisation", "user"]
    date_hierarchy = "at"
