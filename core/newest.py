"""When records last changed: the newest value of each of some time columns, read in one query
(each a MAX over an indexed column, so the cost does not grow with the tables). The public pages'
data version (`projects.selectors.data_as_of`) and the datasets' change times
(`opendata.datasets.changed_times`) are both read with it."""

import datetime
from collections.abc import Iterable
from functools import cache

from django.db import connections, router
from django.db.models import Field, Model
from django.utils import timezone
from django.utils.dateparse import parse_datetime

Column = tuple[str, str]  # (table, column)


def column_of(model: type[Model], field: str) -> Column:
    found = model._meta.get_field(field)
    assert isinstance(found, Field) and found.column
    return (model._meta.db_table, found.column)


@cache
def _query(
    columns: tuple[Column, ...],
    alias: str,
    owned: frozenset[tuple[str, str]] = frozenset(),
    owner: str = "",
) -> str:
    """The UNION of the columns' MAXes. In a table of `owned` ((table, owner column)), only the
    rows of records that have ever belonged to the owner `owner` selects (an SQL query of one
    id, taking one parameter) count: a record moved to another owner counts with its move."""
    quote = connections[alias].ops.quote_name
    owner_column = dict(owned)

    def newest(index: int, table: str, column: str) -> str:
        read = f"SELECT {index}, MAX({quote(column)}) FROM {quote(table)}"
        if table not in owner_column:
            return read
        ever_owned = f"SELECT id FROM {quote(table)} WHERE {quote(owner_column[table])} = ({owner})"
        return f"{read} WHERE id IN ({ever_owned})"

    return " UNION ALL ".join(
        newest(index, table, column) for index, (table, column) in enumerate(columns)
    )


def _aware(value: datetime.datetime | str | None) -> datetime.datetime | None:
    # SQLite (make run's default) answers with text, in UTC.
    moment = parse_datetime(value) if isinstance(value, str) else value
    if moment is not None and timezone.is_naive(moment):
        moment = timezone.make_aware(moment, datetime.UTC)
    return moment


def newest_times(
    columns: Iterable[Column],
    read_as: type[Model],
    *,
    owned: Iterable[tuple[str, str]] = (),
    owner: tuple[str, str | None] = ("", None),
) -> dict[Column, datetime.datetime | None]:
    """Each column's newest value (None for an empty table), read from the database the router
    gives reads of `read_as` (the replica for a public read), where the request's other reads
    go. In the tables of `owned` ((table, owner column)) only the records that have ever
    belonged to one owner count: `owner` is the SQL query of its id and that query's parameter
    (one project's page reads only that project's updates, say)."""
    ordered = tuple(sorted(set(columns)))
    alias = router.db_for_read(read_as)
    owned_tables = frozenset(owned) if owner[0] else frozenset()
    query = _query(ordered, alias, owned_tables, owner[0])
    counted = {table for table, _column in owned_tables}
    parameters = [owner[1] for table, _column in ordered if table in counted]
    with connections[alias].cursor() as cursor:
        cursor.execute(query, parameters or None)
        return {ordered[index]: _aware(value) for index, value in cursor.fetchall()}


def newest(times: Iterable[datetime.datetime | None]) -> datetime.datetime | None:
    return max((time for time in times if time is not None), default=None)
