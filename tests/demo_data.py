"""The demo, loaded once per test process and given back to each test that asks for it.

`load_demo` posts every ledger entry, medical transition and results release through the
services: close to two thousand statements. It runs once, in a transaction that is rolled back;
what it wrote is kept as COPY data, and each test that asks for the demo gets those same rows back
in one COPY per table, inside its own transaction (rolled back after it, as ever) or, in a
transactional test, committed and emptied afterwards like anything else the test wrote.
"""

import io
import re

from django.apps import apps
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models.fields import AutoFieldMixin

from projects.models import ProjectRollup

KEPT_BY_TRIGGERS = {ProjectRollup._meta.db_table}
# The table of a write, quoted as Django quotes it or bare as in hand-written SQL.
WRITE = re.compile(r'\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.IGNORECASE)


class DemoSnapshot:
    def __init__(self, owner_connection) -> None:
        self.owner_connection = owner_connection
        self.tables: list[str] = []
        self.rows: dict[str, str] = {}
        self.last_ids: dict[str, int] = {}
        # Set when a flush restarts the id sequences (TRUNCATE … RESTART IDENTITY).
        self.identities_restarted = False

    @staticmethod
    def _primary_keys() -> dict[str, tuple[str, bool]]:
        """Each table's primary key column, and whether a sequence numbers it."""
        return {
            model._meta.db_table: (
                model._meta.pk.column,
                isinstance(model._meta.pk, AutoFieldMixin),
            )
            for model in apps.get_models(include_auto_created=True)
        }

    @staticmethod
    def _filled(cursor, tables: list[str]) -> set[str]:
        quote = connection.ops.quote_name
        cursor.execute(
            " UNION ALL ".join(
                f"SELECT %s WHERE EXISTS (SELECT 1 FROM {quote(table)})" for table in tables
            ),
            tables,
        )
        return {table for (table,) in cursor.fetchall()}

    def take(self) -> None:
        """Loads the demo and keeps every row it wrote, then rolls the load back.

        The tables are kept in the order the loader first wrote them, so that restoring satisfies
        the row triggers that look at other tables (a result's enrolment, a release's predecessor).
        """
        quote = connection.ops.quote_name
        tables = connection.introspection.django_table_names(only_existing=True)
        keys = self._primary_keys()
        written: list[str] = []

        def record(execute, sql, params, many, context):
            match = WRITE.match(sql)
            if match and match[1] not in written:
                written.append(match[1])
            return execute(sql, params, many, context)

        with transaction.atomic(), connection.cursor() as cursor:
            before = self._filled(cursor, tables)
            self._restart_identities([table for table in tables if table not in before], keys)
            with connection.execute_wrapper(record):
                call_command("load_demo", stdout=io.StringIO())
            if changed := before & set(written):
                raise RuntimeError(
                    f"The demo is kept as the rows it adds to empty tables, but it also wrote to "
                    f"{sorted(changed)}, which held rows before it was loaded."
                )
            new = self._filled(cursor, tables) - before
            # Tables the database's triggers fill are filled again when the rows behind them are
            # restored (projects.rollups).
            new -= KEPT_BY_TRIGGERS
            self.tables = [table for table in written if table in new]
            self.tables += sorted(new - set(self.tables))
            for table in self.tables:
                key, numbered = keys.get(table, (None, False))
                order = f" ORDER BY {quote(key)}" if key else ""
                data = io.StringIO()
                cursor.copy_expert(f"COPY (SELECT * FROM {quote(table)}{order}) TO STDOUT", data)
                self.rows[table] = data.getvalue()
                if numbered:
                    cursor.execute(f"SELECT max({quote(key)}) FROM {quote(table)}")
                    self.last_ids[table] = cursor.fetchone()[0]
            transaction.set_rollback(True)

    def _restart_identities(self, empty: list[str], keys: dict[str, tuple[str, bool]]) -> None:
        """Numbers the demo's rows from 1 in every table it fills, whatever earlier tests of
        this process used up of the sequences (rolled back, never given back): the demo's ids
        are the same in every run (tests/api/test_golden.py compares answers that show them).
        Only the owner may set a sequence."""
        owner = self.owner_connection(connection.settings_dict["NAME"])
        try:
            with owner, owner.cursor() as cursor:
                for table in empty:
                    key, numbered = keys.get(table, (None, False))
                    if not numbered:
                        continue
                    cursor.execute(
                        "SELECT pg_get_serial_sequence(%s, %s)",
                        [connection.ops.quote_name(table), key],
                    )
                    (sequence,) = cursor.fetchone()
                    if sequence:
                        cursor.execute("SELECT setval(%s, 1, false)", [sequence])
        finally:
            owner.close()

    def restore(self) -> None:
        """Writes the demo's rows back, in one transaction (a savepoint inside a test's)."""
        quote = connection.ops.quote_name
        if self.identities_restarted:
            self._advance_identities()
        with transaction.atomic(), connection.cursor() as cursor:
            for table in self.tables:
                cursor.copy_expert(f"COPY {quote(table)} FROM STDIN", io.StringIO(self.rows[table]))

    def _advance_identities(self) -> None:
        """Moves each table's id sequence past the demo's ids again after a flush restarted it,
        so that rows a test adds to the demo get new ids. Only the owner may set a sequence."""
        keys = self._primary_keys()
        owner = self.owner_connection(connection.settings_dict["NAME"])
        try:
            with owner, owner.cursor() as cursor:
                for table, last in self.last_ids.items():
                    cursor.execute(
                        "SELECT pg_get_serial_sequence(%s, %s)",
                        [connection.ops.quote_name(table), keys[table][0]],
                    )
                    (sequence,) = cursor.fetchone()
                    cursor.execute(
                        f"SELECT setval(%s, GREATEST(%s, last_value)) FROM {sequence}",
                        [sequence, last],
                    )
        finally:
            owner.close()
        self.identities_restarted = False
