"""Writing many rows with a few statements, for bulk loads whose rows are already checked.

On PostgreSQL each batch is one statement over arrays (`INSERT … SELECT * FROM UNNEST(…)`, `UPDATE
… FROM UNNEST(…)`), built from plain tuples: no model instance and no per-value expression, which
is where Django's `bulk_create` and `bulk_update` spend their time at 100,000 rows (the CASE
expressions of `bulk_update` grow with the batch). Elsewhere (the embedded demo on SQLite) the
same calls go through `bulk_create` and `bulk_update`. Neither runs `save()` or signals: the
caller keeps whatever those would have kept.
"""

import datetime
import io
import json
from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.db.models import Field, JSONField, Model

BATCH = 5000  # rows per statement


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


def _arrays(fields: list[Field[Any, Any]], rows: Sequence[Sequence[Any]]) -> list[list[Any]]:
    """The rows' columns as lists, JSON values as their text (cast to jsonb in the query)."""
    columns = [list(column) for column in zip(*rows, strict=True)]
    for index, field in enumerate(fields):
        if isinstance(field, JSONField):
            columns[index] = [json.dumps(value) for value in columns[index]]
    return columns


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


def insert_rows(
    model: type[Model], names: Sequence[str], rows: Sequence[Sequence[Any]]
) -> list[Any]:
    """Insert rows (tuples of values for the fields `names`, by attribute name: `project_id`) and
    return their primary keys, in the rows' order.

    On PostgreSQL the rows are copied (COPY) into a temporary table, then inserted from it in one
    statement: parsing a COPY stream costs a fraction of binding as many parameters."""
    if not rows:
        return []
    if connection.vendor != "postgresql":
        objects = [model(**dict(zip(names, row, strict=True))) for row in rows]
        return [obj.pk for obj in model._default_manager.bulk_create(objects, batch_size=BATCH)]
    fields = _columns(model, names)
    jsons = {index for index, field in enumerate(fields) if isinstance(field, JSONField)}
    qn = connection.ops.quote_name
    assert model._meta.pk is not None
    table, pk = qn(model._meta.db_table), qn(_column(model._meta.pk))
    columns = ", ".join(qn(_column(field)) for field in fields)
    stream = io.StringIO()
    for row in rows:
        values = [json.dumps(value) if i in jsons else value for i, value in enumerate(row)]
        stream.write("\t".join(map(_copy_text, values)))
        stream.write("\n")
    stream.seek(0)
    staging = qn(f"bulk_{model._meta.db_table}")
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE {staging} ON COMMIT DROP AS "
            f"SELECT {columns} FROM {table} WITH NO DATA"
        )
        cursor.execute(f"ALTER TABLE {staging} ADD COLUMN bulk_order bigserial")
        cursor.cursor.copy_expert(f"COPY {staging} ({columns}) FROM STDIN", stream)
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
    """Store the fields `names` of saved instances of one model, one statement per batch."""
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
    table = qn(model._meta.db_table)
    aliases = [f"c{index}" for index in range(len(fields))]
    sql = (
        f"UPDATE {table} SET "
        + ", ".join(
            f"{qn(_column(f))} = v.{a}" for f, a in zip(fields[1:], aliases[1:], strict=True)
        )
        + f" FROM UNNEST({', '.join(f'%s::{f.db_type(connection)}[]' for f in fields)}) "
        + f"AS v({', '.join(aliases)}) WHERE {table}.{qn(_column(pk))} = v.{aliases[0]}"
    )
    with connection.cursor() as cursor:
        for start in range(0, len(objects), BATCH):
            batch = objects[start : start + BATCH]
            rows = [[getattr(obj, field.attname) for field in fields] for obj in batch]
            cursor.execute(sql, _arrays(fields, rows))
