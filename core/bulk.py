"""Writing many rows with a few statements, for bulk loads whose rows are already checked.

On PostgreSQL the rows, plain tuples, are copied (COPY) into a temporary table and written from
it with one INSERT or UPDATE: no model instance and no per-value expression, which is where
Django's `bulk_create` and `bulk_update` spend their time at 100,000 rows (the CASE expressions
of `bulk_update` grow with the batch), and no statement of 100,000 bound parameters. Elsewhere
(the embedded demo on SQLite) the same calls go through `bulk_create` and `bulk_update`. Neither
runs `save()` or signals: the caller keeps whatever those would have kept.
"""

import datetime
import io
import json
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection
from django.db.models import Field, JSONField, Model

BATCH = 5000  # rows per statement of bulk_create and bulk_update (SQLite)


def _columns(model: type[Model], names: Sequence[str]) -> list[Field[Any, Any]]:
    fields = []
    for name in names:
        field = model._meta.get_field(name)
        assert isinstance(field, Field)  # a concrete column, not a relation's reverse side
        fields.append(field)
    return fields


def _column(field: Field[Any, Any]) -> str:
    assert field.column is not None  # a concrete field has its column
    return field.column


COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value: Any) -> str:
    """A value as COPY's text format writes it."""
    kind = type(value)
    if kind is str:
        return value.translate(COPY_ESCAPES)  # type: ignore[no-any-return]
    if value is None:
        return "\\N"
    if kind is bool:
        return "t" if value else "f"
    if isinstance(value, datetime.date):  # and datetime
        return value.isoformat()
    return str(value).translate(COPY_ESCAPES)


def _staged(
    cursor: Any, model: type[Model], fields: list[Field[Any, Any]], rows: Iterable[Sequence[Any]]
) -> str:
    """Copy rows of the fields' values into a new temporary table shaped as the model's table,
    numbered in `bulk_order`; returns its quoted name. Parsing a COPY stream costs a fraction of
    binding as many parameters."""
    qn = connection.ops.quote_name
    jsons = {index for index, field in enumerate(fields) if isinstance(field, JSONField)}
    columns = ", ".join(qn(_column(field)) for field in fields)
    stream = io.StringIO()
    for row in rows:
        values = [json.dumps(value) if i in jsons else value for i, value in enumerate(row)]
        stream.write("\t".join(map(_copy_text, values)))
        stream.write("\n")
    stream.seek(0)
    staging = qn(f"bulk_{model._meta.db_table}")
    cursor.execute(
        f"CREATE TEMPORARY TABLE {staging} ON COMMIT DROP AS "
        f"SELECT {columns} FROM {qn(model._meta.db_table)} WITH NO DATA"
    )
    cursor.execute(f"ALTER TABLE {staging} ADD COLUMN bulk_order bigserial")
    cursor.cursor.copy_expert(f"COPY {staging} ({columns}) FROM STDIN", stream)
    return staging


def insert_rows(
    model: type[Model], names: Sequence[str], rows: Sequence[Sequence[Any]]
) -> list[Any]:
    """Insert rows (tuples of values for the fields `names`, by attribute name: `project_id`) and
    return their primary keys, in the rows' order. On PostgreSQL the rows are copied into a
    temporary table, then inserted from it in one statement."""
    if not rows:
        return []
    if connection.vendor != "postgresql":
        objects = [model(**dict(zip(names, row, strict=True))) for row in rows]
        return [obj.pk for obj in model._default_manager.bulk_create(objects, batch_size=BATCH)]
    fields = _columns(model, names)
    qn = connection.ops.quote_name
    assert model._meta.pk is not None
    table, pk = qn(model._meta.db_table), qn(_column(model._meta.pk))
    columns = ", ".join(qn(_column(field)) for field in fields)
    with connection.cursor() as cursor:
        staging = _staged(cursor, model, fields, rows)
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {staging} "
            f"ORDER BY bulk_order RETURNING {pk}"
        )
        # The identity column numbers the rows as they are inserted, in bulk_order: ascending
        # keys are the rows' order, whatever other transactions insert meanwhile.
        keys = sorted(row[0] for row in cursor.fetchall())
        cursor.execute(f"DROP TABLE {staging}")
    return keys


def update_rows(objects: Sequence[Model], names: Sequence[str]) -> None:
    """Store the fields `names` of saved instances of one model: on PostgreSQL copied into a
    temporary table, then one UPDATE from it."""
    if not objects:
        return
    model = type(objects[0])
    if connection.vendor != "postgresql":
        model._default_manager.bulk_update(objects, list(names), batch_size=BATCH)
        return
    pk = model._meta.pk
    assert pk is not None
    fields = [pk, *_columns(model, names)]
    qn = connection.ops.quote_name
    table, key = qn(model._meta.db_table), qn(_column(pk))
    with connection.cursor() as cursor:
        staging = _staged(
            cursor, model, fields, ([getattr(obj, f.attname) for f in fields] for obj in objects)
        )
        assignments = ", ".join(f"{qn(_column(f))} = s.{qn(_column(f))}" for f in fields[1:])
        cursor.execute(
            f"UPDATE {table} SET {assignments} FROM {staging} s WHERE {table}.{key} = s.{key}"
        )
        cursor.execute(f"DROP TABLE {staging}")
