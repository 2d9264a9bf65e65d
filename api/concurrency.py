"""Optimistic concurrency: records partners change carry an ETag, and a change must send it
back in If-Match. The comparison happens with the row locked, so two writers holding the
same ETag cannot both win."""

import hashlib
from typing import TypeVar

from django.db import models
from django.utils.translation import gettext as _
from rest_framework.request import Request

from api.problems import PreconditionFailed, PreconditionRequired

M = TypeVar("M", bound=models.Model)


def etag_for(instance: models.Model) -> str:
    # Every record partners change keeps an `updated_at`.
    version = f"{instance._meta.label}:{instance.pk}:{instance.updated_at.isoformat()}"  # type: ignore[attr-defined]
    return f'"{hashlib.sha256(version.encode()).hexdigest()[:32]}"'


def _tags(header: str) -> list[str]:
    tags = []
    for part in header.split(","):
        part = part.strip()
        if part.startswith("W/"):
            part = part[2:]
        if part:
            tags.append(part)
    return tags


def lock_matching(request: Request, instance: M) -> M:
    """The row, locked for this transaction, if If-Match still names its current ETag."""
    header = request.headers.get("If-Match")
    if not header:
        raise PreconditionRequired()
    locked = type(instance)._default_manager.select_for_update().get(pk=instance.pk)
    tags = _tags(header)
    if "*" not in tags and etag_for(locked) not in tags:
        raise PreconditionFailed(
            _("The record has changed since you read it; its ETag is now %(etag)s.")
            % {"etag": etag_for(locked)}
        )
    return locked
