"""The API's audit trail: every write records who, when and what changed, in the same
transaction as the write."""

from decimal import Decimal

from django.db import models
from django.db.models.fields.files import FieldFile
from rest_framework.request import Request

from api.actors import Actor
from api.callers import Caller
from api.models import AuditEntry


def snapshot(instance: models.Model) -> dict[str, object]:
    """The instance's concrete field values, as JSON-ready text."""
    values: dict[str, object] = {}
    for field in instance._meta.concrete_fields:
        value = field.value_from_object(instance)
        if isinstance(value, FieldFile):
            value = value.name or None
        elif isinstance(value, Decimal) or hasattr(value, "isoformat"):
            value = str(value)
        values[field.attname] = value
    return values


def changes_between(
    before: dict[str, object] | None, after: dict[str, object] | None
) -> dict[str, list[object]]:
    before, after = before or {}, after or {}
    return {
        name: [before.get(name), after.get(name)]
        for name in sorted(set(before) | set(after))
        if before.get(name) != after.get(name) and name not in {"updated_at"}
    }


def record_write(
    *,
    caller: Caller,
    request: Request,
    action: str,
    instance: models.Model,
    before: dict[str, object] | None,
    after: dict[str, object] | None,
    idempotency_key: str = "",
) -> AuditEntry:
    # A request being handled has its method.
    entry = AuditEntry(  # type: ignore[misc]
        organisation_id=caller.organisation_id,
        action=action,
        model=instance._meta.label,
        object_id=str(instance.pk),
        object_repr=str(instance)[:200],
        changes=changes_between(before, after),
        method=request.method,
        path=request.path[:500],
        idempotency_key=idempotency_key,
    )
    entry.actor = Actor.of(caller)
    entry.save(force_insert=True)
    return entry
