"""The outbox of changes to public records, and the webhooks that deliver it."""

import base64
import secrets

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from reference.models import Organisation


class Event(models.Model):
    """One change of a record, written in the transaction that made it. `position` orders the
    feed by commit: PostgreSQL sets it as the transaction commits (see migration 0002)."""

    position = models.BigIntegerField(_("position"), null=True, unique=True, editable=False)
    type = models.CharField(_("type"), max_length=60, db_index=True)
    resource = models.CharField(_("record type"), max_length=40)
    resource_id = models.CharField(_("record id"), max_length=64)
    path = models.CharField(_("address"), max_length=500)
    at = models.DateTimeField(_("when"), default=timezone.now)
    changed_fields = models.JSONField(_("changed fields"), default=list, blank=True)
    # Private events are read only by their organisations' keys (and staff).
    public = models.BooleanField(_("public"))
    organisations = models.ManyToManyField(
        Organisation,
        through="EventAudience",
        verbose_name=_("organisations"),
        related_name="+",
        blank=True,
    )

    class Meta:
        verbose_name = _("change event")
        verbose_name_plural = _("change events")
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["resource", "resource_id"])]

    def __str__(self):
        return f"{self.type} {self.resource_id}"


class EventAudience(models.Model):
    """An organisation that may read a private event."""

    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="audience")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("event audience")
        verbose_name_plural = _("event audiences")
        constraints = [
            models.UniqueConstraint(fields=["event", "organisation"], name="event_audience_once")
        ]

    def __str__(self):
        return f"{self.event} → {self.organisation}"


def new_secret() -> str:
    """A Standard Webhooks secret: `whsec_` and 24 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


class WebhookEndpoint(models.Model):
    """Where an organisation wants the events it may read delivered, signed with its secret."""

    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="webhook_endpoints",
    )
    url = models.URLField(_("address"), max_length=500)
    event_types = models.JSONField(
        _("event types"),
        default=list,
        help_text=_("The event types to deliver, e.g. project.updated; * delivers every type."),
    )
    secret = models.CharField(_("secret"), max_length=100, default=new_secret, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # Moves with every save: partners change an endpoint with If-Match on its ETag.
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    # The position of the last event delivered (or skipped as not wanted): deliveries go in order.
    delivered_position = models.BigIntegerField(_("delivered up to"), default=0, editable=False)
    failures = models.PositiveIntegerField(_("consecutive failures"), default=0, editable=False)
    retry_at = models.DateTimeField(_("next attempt"), null=True, blank=True, editable=False)
    disabled_at = models.DateTimeField(_("disabled"), null=True, blank=True, editable=False)
    disabled_reason = models.CharField(
        _("why disabled"), max_length=300, blank=True, editable=False
    )

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["organisation", "url"]
        constraints = [
            models.CheckConstraint(
                condition=Q(disabled_at__isnull=True) | ~Q(disabled_reason=""),
                name="webhook_disabled_has_reason",
            )
        ]

    def __str__(self):
        return f"{self.organisation.code} → {self.url}"

    def clean(self):
        super().clean()
        from changes.records import event_types

        known = event_types()
        wanted = self.event_types
        if not isinstance(wanted, list) or not wanted:
            raise ValidationError({"event_types": _("Name at least one event type.")})
        unknown = [name for name in wanted if name != "*" and name not in known]
        if unknown:
            raise ValidationError(
                {
                    "event_types": _("Unknown event types: %(types)s.")
                    % {"types": ", ".join(unknown)}
                }
            )

    @property
    def is_active(self) -> bool:
        return self.disabled_at is None

    def wants(self, type: str) -> bool:
        return "*" in self.event_types or type in self.event_types


class Delivery(models.Model):
    """One attempt to deliver an event to an endpoint: the delivery log."""

    endpoint = models.ForeignKey(
        WebhookEndpoint,
        verbose_name=_("endpoint"),
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    event = models.ForeignKey(
        Event, verbose_name=_("event"), on_delete=models.PROTECT, related_name="+"
    )
    attempt = models.PositiveIntegerField(_("attempt"))
    at = models.DateTimeField(_("when"), default=timezone.now)
    status_code = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=300, blank=True)
    duration_ms = models.PositiveIntegerField(_("response time (ms)"))
    succeeded = models.BooleanField(_("delivered"))

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.event} → {self.endpoint} #{self.attempt}"
