"""Which records are public and how their events read: each app lists its own in `events.py`
(`RECORDS`), found through core.registry, so this app names no domain app."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.db import models

from core.registry import app_modules

# What happens to a record, as the last part of an event's type (`project.published`).
CREATED, UPDATED, PUBLISHED, WITHDRAWN, DELETED, POSTED = (
    "created",
    "updated",
    "published",
    "withdrawn",
    "deleted",
    "posted",
)
CHANGES = (CREATED, UPDATED, PUBLISHED, WITHDRAWN, DELETED)


def _always(record: Any) -> bool:
    return True


def _nobody(record: Any) -> Iterable[int]:
    return ()


@dataclass(frozen=True)
class Record:
    """A public record's feed: its name in event types, its address (the API's where it has
    one), whether it is public now, and the organisations that read it while it is not."""

    model: type[models.Model]
    name: str
    # Each takes a record of `model`.
    path: Callable[[Any], str]
    published: Callable[[Any], bool] = _always
    organisations: Callable[[Any], Iterable[int]] = _nobody
    # Records that are only ever added (ledger entries) have one event type of their own.
    types: tuple[str, ...] = CHANGES


@cache
def records() -> dict[type[models.Model], Record]:
    return {
        record.model: record
        for module in app_modules("events")
        for record in getattr(module, "RECORDS", ())
    }


def record_of(model: type[models.Model]) -> Record | None:
    return records().get(model)


def event_types() -> list[str]:
    return sorted(
        f"{record.name}.{change}" for record in records().values() for change in record.types
    )
