from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from changes import services
from changes.models import Delivery, Event, WebhookEndpoint
from core.admin import ReadOnlyAdmin, ReadOnlyInline

DELIVERY_FIELDS = (
    "at",
    "event",
    "attempt",
    "status_code",
    "duration_ms",
    "succeeded",
    "error",
)
EVENT_FIELDS = (
    "position",
    "type",
    "resource",
    "resource_id",
    "path",
    "at",
    "changed_fields",
    "public",
)


class DeliveryInline(ReadOnlyInline):
    """The endpoint's latest attempts: the delivery log, read-only."""

    model = Delivery
    fields = readonly_fields = DELIVERY_FIELDS
    ordering = ["-at", "-id"]
    max_num = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("event")


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    """Organisations' endpoints. An endpoint disabled after repeated failures says why here and
    delivers again, from where it stopped, once re-enabled."""

    list_display = ["url", "organisation", "state", "failures", "retry_at", "created_at"]
    list_filter = ["organisation"]
    list_select_related = ["organisation"]
    fields = [
        "organisation",
        "url",
        "event_types",
        "secret",
        "state",
        "disabled_reason",
        "failures",
        "retry_at",
        "delivered_position",
    ]
    readonly_fields = [
        "secret",
        "state",
        "disabled_reason",
        "failures",
        "retry_at",
        "delivered_position",
    ]
    inlines = [DeliveryInline]
    actions = ["enable"]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "url":
            # Receivers are reached over HTTPS: an address typed without a scheme means that.
            kwargs["assume_scheme"] = "https"
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    @admin.display(description=_("state"))
    def state(self, endpoint):
        if endpoint.is_active:
            return _("active")
        return _("disabled: %(reason)s") % {"reason": endpoint.disabled_reason}

    def save_model(self, request, obj, form, change):
        if change:
            services.change_endpoint(endpoint=obj)
        else:
            saved = services.register_endpoint(
                organisation=obj.organisation, url=obj.url, event_types=obj.event_types
            )
            obj.pk, obj.secret = saved.pk, saved.secret

    @admin.action(description=_("Enable the selected endpoints again"))
    def enable(self, request, queryset):
        endpoints = list(queryset.filter(disabled_at__isnull=False))
        for endpoint in endpoints:
            services.enable_endpoint(endpoint=endpoint)
        self.message_user(
            request,
            ngettext("%(count)d endpoint enabled.", "%(count)d endpoints enabled.", len(endpoints))
            % {"count": len(endpoints)},
            messages.SUCCESS,
        )


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    """The outbox, read-only: events are only ever added, with the change they report."""

    list_display = ["position", "type", "resource_id", "at", "public"]
    list_filter = ["type", "public"]
    fields = readonly_fields = EVENT_FIELDS
