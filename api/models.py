"""What the partner API keeps: organisation keys, replayable answers and the audit trail."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from api import capabilities
from api.actors import ActorMixin, actor_columns
from reference.models import Organisation


class ApiKey(models.Model):
    """A partner organisation's key. Only its hash is stored; the key is shown once. It reads;
    it writes only what its capabilities (`KeyCapability`) allow."""

    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="api_keys",
    )
    name = models.CharField(_("name"), max_length=100, help_text=_("What the key is for."))
    prefix = models.CharField(_("prefix"), max_length=16, unique=True, editable=False)
    hashed_key = models.CharField(_("hash"), max_length=64, editable=False)
    expires_on = models.DateField(
        _("expires on"), null=True, blank=True, help_text=_("Last day the key works.")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ["organisation", "-created_at"]

    def __str__(self) -> str:
        return f"{self.organisation.code} · {self.name} ({self.prefix}…)"

    def clean(self) -> None:
        super().clean()
        # A new key that could never work is a mistake; an existing key may since have expired.
        if self._state.adding and self.expires_on and self.expires_on < timezone.localdate():
            message = _("The expiry date is in the past: a new key must work at least today.")
            raise ValidationError({"expires_on": message})

    @property
    def is_expired(self) -> bool:
        return self.expires_on is not None and timezone.localdate() > self.expires_on

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and not self.is_expired

    @cached_property
    def capability_codes(self) -> frozenset[str]:
        """The codes of the capabilities granted; read once per request."""
        return frozenset(capability.code for capability in self.capabilities.all())

    def has_capability(self, code: str) -> bool:
        return code in self.capability_codes


class KeyCapability(models.Model):
    """One thing a key may write, granted when the key is issued and never changed after."""

    key = models.ForeignKey(
        ApiKey, verbose_name=_("API key"), on_delete=models.CASCADE, related_name="capabilities"
    )
    code = models.CharField(_("capability"), max_length=40, choices=capabilities.choices())
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("granted by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    granted_at = models.DateTimeField(_("granted"), default=timezone.now)

    class Meta:
        verbose_name = _("key capability")
        verbose_name_plural = _("key capabilities")
        ordering = ["key", "code"]
        constraints = [
            models.UniqueConstraint(fields=["key", "code"], name="key_capability_once"),
            models.CheckConstraint(
                condition=Q(code__in=list(capabilities.CAPABILITIES)),
                name="key_capability_known",
            ),
            # Who let a key post money is always on record.
            models.CheckConstraint(
                condition=~Q(
                    code__in=[c for c in capabilities.CAPABILITIES if capabilities.needs_grantor(c)]
                )
                | Q(granted_by__isnull=False),
                name="key_capability_grantor_recorded",
            ),
        ]

    def __str__(self) -> str:
        return self.code


class IdempotencyRecord(models.Model):
    """The first answer to a POST with an Idempotency-Key, replayed to the caller's retries."""

    caller = models.CharField(_("caller"), max_length=40)
    key = models.CharField(_("idempotency key"), max_length=255)
    method = models.CharField(_("method"), max_length=10)
    path = models.CharField(_("path"), max_length=500)
    request_hash = models.CharField(_("request hash"), max_length=64)
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(_("response status"), null=True, blank=True)
    response_body = models.JSONField(_("response body"), null=True, blank=True)
    response_headers = models.JSONField(_("response headers"), default=dict, blank=True)

    class Meta:
        verbose_name = _("idempotency record")
        verbose_name_plural = _("idempotency records")
        constraints = [
            models.UniqueConstraint(fields=["caller", "key"], name="idempotency_key_per_caller"),
            models.CheckConstraint(
                condition=Q(completed_at__isnull=True) | Q(response_status__isnull=False),
                name="idempotency_completed_has_status",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.caller} {self.key}"


class AuditEntry(ActorMixin, models.Model):
    """One write through the API: who, when, what changed."""

    class Action(models.TextChoices):
        CREATE = "create", _("created")
        UPDATE = "update", _("changed")
        DELETE = "delete", _("deleted")

    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    # The key's reverse accessor (auditentry_set) predates the other actors' "+".
    user, api_key = actor_columns(
        user_label=_("user"), key_label=_("API key"), key_related_name=None
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    action = models.CharField(_("action"), max_length=6, choices=Action.choices)
    model = models.CharField(_("record type"), max_length=100)
    object_id = models.CharField(_("record id"), max_length=64)
    object_repr = models.CharField(_("record"), max_length=200)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    method = models.CharField(_("method"), max_length=10)
    path = models.CharField(_("path"), max_length=500)
    idempotency_key = models.CharField(_("idempotency key"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("API audit entry")
        verbose_name_plural = _("API audit entries")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["model", "object_id"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(api_key__isnull=False) | Q(user__isnull=False),
                name="audit_entry_has_an_actor",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_action_display()} {self.object_repr}"
