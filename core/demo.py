"""What every app's demo loader shares: reading a demo file, checking its records, and writing
each row only when it differs.

Every record is found by its natural key and saved only when one of its values differs, so a
second load writes nothing at all: no row, no history row. Bad data raises DemoDataError naming
the record; each loader runs in a transaction, so the whole load is rolled back.

An app contributes to `manage.py load_demo` with a `demo` module defining
`load_demo(path=None) -> Counts` (found by `core.registry.app_modules("demo")`).
"""

import datetime
from collections import Counter
from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import yaml
from django.core.exceptions import ValidationError
from django.db import models

LANGUAGES = ("zh_hans", "en")
CHANGE_REASON = "demo data"

CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"
OUTCOMES = (CREATED, UPDATED, UNCHANGED)

Record = dict[str, Any]
M = TypeVar("M", bound=models.Model)
# Created/updated/unchanged counts per model (or kind of record), in loading order.
Counts = dict[str, dict[str, int]]


class DemoDataError(Exception):
    """The demo data file is wrong; the message names the record at fault."""


class Tally:
    """How many rows of each kind were created, updated or left unchanged; the summary reports
    every kind named at the start, in that order."""

    def __init__(self, names: Iterable[str]) -> None:
        self._counts: dict[str, Counter[str]] = {name: Counter() for name in names}

    def add(self, name: str, outcome: str, count: int = 1) -> None:
        self._counts[name][outcome] += count

    def write(self, model: type[M], *, lookup: Record, values: Record, label: str) -> M:
        """`upsert` one row and count its outcome under the model's name."""
        obj, outcome = upsert(model, lookup=lookup, values=values, label=label)
        self.add(model.__name__, outcome)
        return obj

    def as_dict(self) -> Counts:
        return {
            name: {outcome: counter[outcome] for outcome in OUTCOMES}
            for name, counter in self._counts.items()
        }


# ---------------------------------------------------------------------------------------------
# Writing one row


def _normalise(*, model: type[models.Model], data: Record, label: str) -> Record:
    """Convert plain values to the field's Python type, so that comparisons with rows are exact."""
    normalised = {}
    for name, value in data.items():
        field = model._meta.get_field(name)
        if not isinstance(field, models.Field) or field.is_relation or value is None:
            normalised[name] = value
            continue
        try:
            normalised[name] = field.to_python(value)
        except ValidationError as exc:
            raise DemoDataError(f"{label}: {name}: {'; '.join(exc.messages)}") from exc
    return normalised


def _current(obj: models.Model, name: str) -> Any:
    field = obj._meta.get_field(name)
    assert isinstance(field, models.Field), "the demo names a model's own fields only"
    return getattr(obj, field.attname)


def _wanted(obj: models.Model, name: str, value: Any) -> Any:
    field = obj._meta.get_field(name)
    return value.pk if field.is_relation and value is not None else value


def _validate(obj: models.Model, *, label: str) -> None:
    """Run the model's own validation (fields, clean(), constraints) before anything is saved."""
    try:
        obj.full_clean()
    except ValidationError as exc:
        details = (
            "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items())
            if hasattr(exc, "error_dict")
            else "; ".join(exc.messages)
        )
        raise DemoDataError(f"{label}: {details}") from exc


def upsert(model: type[M], *, lookup: Record, values: Record, label: str) -> tuple[M, str]:
    """Create the row found by `lookup`, or update it only where a value in `values` differs.

    An unchanged row is never saved, so it gets no history row and no new `updated_at`.
    New and changed rows pass full_clean() first.
    """
    lookup = _normalise(model=model, data=lookup, label=label)
    values = _normalise(model=model, data=values, label=label)
    matches = list(model._default_manager.filter(**lookup)[:2])
    if len(matches) > 1:
        raise DemoDataError(f"{label}: more than one {model.__name__} matches {lookup}.")
    if matches:
        obj = matches[0]
        changed = [n for n, v in values.items() if _current(obj, n) != _wanted(obj, n, v)]
        if not changed:
            return obj, UNCHANGED
        for name in changed:
            setattr(obj, name, values[name])
        outcome = UPDATED
    else:
        obj = model(**lookup, **values)
        outcome = CREATED
    _validate(obj, label=label)
    obj._change_reason = CHANGE_REASON  # type: ignore[attr-defined]  # read by simple-history
    obj.save()
    return obj, outcome


# ---------------------------------------------------------------------------------------------
# Reading the file and checking its records


def read(path: Path) -> Record:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise DemoDataError(f"{path}: {exc}") from exc
    if not isinstance(document, dict):
        raise DemoDataError(f"{path}: expected a mapping of sections at the top level.")
    return document


def fields(record: Any, *, label: str, required: set[str], optional: set[str]) -> Record:
    """Refuse a record that lacks a required key or has one nobody reads (a typo, usually)."""
    if not isinstance(record, dict):
        raise DemoDataError(f"{label}: expected a mapping, got {record!r}.")
    missing = required - record.keys()
    unknown = record.keys() - required - optional
    if missing:
        raise DemoDataError(f"{label}: missing {', '.join(sorted(missing))}.")
    if unknown:
        raise DemoDataError(f"{label}: unknown keys {', '.join(sorted(unknown))}.")
    return record


def section(document: Record, name: str) -> list[Any]:
    """A list section of the file (or of a record); absent or empty is an empty list."""
    items = document.get(name) or []
    if not isinstance(items, list):
        raise DemoDataError(f"{name}: expected a list.")
    return items


def translated(record: Record, name: str, *, label: str, required: bool = True) -> Record:
    """`name: {zh_hans: ..., en: ...}` becomes the two modeltranslation columns."""
    text = record.get(name)
    if text is None and not required:
        text = {}
    if not isinstance(text, dict) or text.keys() - set(LANGUAGES):
        raise DemoDataError(f"{label}: {name} must be a mapping of {' and '.join(LANGUAGES)}.")
    columns = {f"{name}_{lang}": str(text.get(lang) or "").strip() for lang in LANGUAGES}
    if required and not all(columns.values()):
        raise DemoDataError(f"{label}: {name} needs both {' and '.join(LANGUAGES)}.")
    return columns


def choice(record: Record, name: str, *, choices: Sequence[str], label: str) -> str:
    """A value that must be one of `choices`; absent is the empty choice."""
    value = str(record.get(name) or "")
    if value not in choices:
        named = ", ".join(c for c in choices if c)
        raise DemoDataError(f"{label}: {name} {value!r} is not one of {named}.")
    return value


def resolve(known: dict[Any, Any], key: Any, *, label: str, what: str) -> Any:
    """Look a reference up among the records already loaded; None stays None."""
    if key is None:
        return None
    if key not in known:
        raise DemoDataError(f"{label}: unknown {what} {key!r}.")
    return known[key]


def day(value: Any, *, label: str) -> datetime.date:
    """A date the file gives to the day (YAML reads YYYY-MM-DD as a date)."""
    if not isinstance(value, datetime.date):
        raise DemoDataError(f"{label}: {value!r} is not a date (YYYY-MM-DD).")
    return value


def money(value: Any, *, label: str) -> Decimal:
    """An amount in CNY, with at most two decimal places."""
    try:
        amount = Decimal(str(value))
    except ArithmeticError:
        raise DemoDataError(f"{label}: {value!r} is not an amount.") from None
    if amount != amount.quantize(Decimal("0.01")):
        raise DemoDataError(f"{label}: {value!r} has more than two decimal places.")
    return amount
