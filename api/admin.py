from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import InlineModelAdmin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from api import capabilities
from api.keys import issue_api_key, revoke_api_key
from api.models import ApiKey, AuditEntry, KeyCapability
from core.admin import ReadOnlyAdmin

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class ApiKeyAddForm(forms.ModelForm[ApiKey]):
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

    def clean_capabilities(self) -> list[str]:
        codes: list[str] = self.cleaned_data["capabilities"]
        for code in codes:
            permission = capabilities.CAPABILITIES[code].grant_permission
            # The admin sets `user` on the form class (get_form below).
            if permission and not self.user.has_perm(permission):  # type: ignore[attr-defined]
                raise ValidationError(
                    capabilities.CAPABILITIES[code].grant_refusal,
                    code="grant_permission",
                    params={"code": code},
                )
        return codes


class KeyCapabilityInline(admin.TabularInline[KeyCapability, ApiKey]):
    """A key's capabilities and who granted them, read-only: a key is reissued, not changed."""

    model = KeyCapability
    fields = ["code", "granted_by", "granted_at"]
    readonly_fields = fields  # type: ignore[assignment]  # the same names, all read-only
    extra = 0
    can_delete = False

    def has_view_permission(self, request: HttpRequest, obj: ApiKey | None = None) -> bool:
        # Part of the key: whoever may see the key sees what it may do and who granted it.
        return request.user.has_perm("api.view_apikey")

    def has_add_permission(self, request: HttpRequest, obj: ApiKey | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ApiKey | None = None) -> bool:
        return False


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin[ApiKey]):
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

    def get_queryset(self, request: HttpRequest) -> QuerySet[ApiKey]:
        return super().get_queryset(request).prefetch_related("capabilities")

    @admin.display(description=_("capabilities"))
    def capability_list(self, obj: ApiKey) -> "StrOrPromise":
        return ", ".join(sorted(obj.capability_codes)) or _("read only")

    def get_form(
        self, request: HttpRequest, obj: ApiKey | None = None, change: bool = False, **kwargs: Any
    ) -> type[forms.ModelForm[ApiKey]]:
        if obj is None:
            kwargs["form"] = ApiKeyAddForm
        form = super().get_form(request, obj, change=change, **kwargs)
        form.user = request.user  # type: ignore[attr-defined]  # read by ApiKeyAddForm
        return form

    def get_fields(
        self, request: HttpRequest, obj: ApiKey | None = None
    ) -> list[str | list[str] | tuple[str, ...]]:
        if obj is None:
            return ["organisation", "name", "capabilities", "expires_on"]
        return ["organisation", "name", "capability_list", "expires_on", *self.readonly_fields]

    def get_inlines(
        self, request: HttpRequest, obj: ApiKey | None
    ) -> list[type[InlineModelAdmin[Any, Any]]]:
        return [] if obj is None else [KeyCapabilityInline]

    def get_readonly_fields(self, request: HttpRequest, obj: ApiKey | None = None) -> list[str]:
        # A key's owner and capabilities never change: issue a new key instead.
        if obj is None:
            return []
        return ["organisation", "capability_list", *self.readonly_fields]

    def save_model(
        self, request: HttpRequest, obj: ApiKey, form: forms.ModelForm[ApiKey], change: bool
    ) -> None:
        if change:
            obj.save()
            return
        key, raw = issue_api_key(
            organisation=obj.organisation,
            name=obj.name,
            capabilities=form.cleaned_data["capabilities"],
            expires_on=obj.expires_on,
            created_by=request.user,  # type: ignore[arg-type]  # the admin's user is signed in
        )
        obj.pk = key.pk
        obj._raw_key = raw  # type: ignore[attr-defined]  # shown once, by response_add

    def save_related(
        self, request: HttpRequest, form: forms.ModelForm[ApiKey], formsets: Any, change: bool
    ) -> None:
        # The capabilities were written with the key; the inline is read-only.
        if change:
            super().save_related(request, form, formsets, change)

    def response_add(
        self, request: HttpRequest, obj: ApiKey, post_url_continue: str | None = None
    ) -> HttpResponse:
        # Shown once, in this response only: the key is never stored in a session or cookie.
        context = {
            **self.admin_site.each_context(request),
            "title": _("New API key"),
            "key": obj,
            "raw_key": obj._raw_key,  # type: ignore[attr-defined]  # set by save_model
            "opts": self.opts,
        }
        return TemplateResponse(request, "admin/api/apikey/created.html", context)

    @admin.action(description=_("Revoke the selected keys"), permissions=["change"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
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
