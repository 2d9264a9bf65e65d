from pathlib import Path

import psycopg2
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from aidportal.database.dumps import libpq_environment, owner_settings, run


class Command(BaseCommand):
    help = (
        "Restore a backup made by `manage.py backup` into the empty database that "
        "MIGRATION_DATABASE_URL names, as its owner, in one transaction (all or nothing); then "
        "migrate, which brings an older backup up to date and grants the runtime role its "
        "privileges. Run `manage.py check_ledger` after it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="A backup written by `manage.py backup`.")

    def handle(self, *args: object, file: Path, **options: object) -> None:
        owner = owner_settings()
        if not file.is_file():
            raise CommandError(f"{file} is not a file.")
        tables = self._tables(owner)
        if tables:
            raise CommandError(
                f"{owner['NAME']} holds {tables} tables: restore only into a new, empty database "
                f"owned by {owner['USER']} (CREATE DATABASE … OWNER {owner['USER']})."
            )
        env = libpq_environment(owner)
        # Objects become the restoring owner's, whatever the source's owner was called; the
        # runtime role's privileges come from migrate, as after any deployment.
        run(
            [
                "pg_restore",
                "--no-password",
                "--exit-on-error",
                "--single-transaction",
                "--no-owner",
                "--no-privileges",
                f"--dbname={owner['NAME']}",
                str(file),
            ],
            env,
            "pg_restore",
        )
        call_command("migrate", "--noinput", database="owner", verbosity=0)
        self.stdout.write(
            f"Restored {file} into {owner['NAME']} as {owner['USER']}; "
            "now run `manage.py check_ledger`."
        )

    @staticmethod
    def _tables(owner: dict[str, object]) -> int:
        connection = psycopg2.connect(
            dbname=owner["NAME"],
            user=owner["USER"],
            password=owner["PASSWORD"],
            host=owner["HOST"] or "127.0.0.1",
            port=owner["PORT"] or 5432,
        )
        try:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', "
                    "'information_schema') AND n.nspname NOT LIKE 'pg_toast%%'"
                )
                row = cursor.fetchone()
        finally:
            connection.close()
        return int(row[0]) if row else 0
