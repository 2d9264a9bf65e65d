import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from aidportal.database.dumps import libpq_environment, owner_settings, run


class Command(BaseCommand):
    help = (
        "Back up the database as its owner (MIGRATION_DATABASE_URL) with pg_dump's custom format, "
        "into FILE, written whole or not at all; `manage.py restore FILE` brings it back."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "file", type=Path, help="Where to write the backup (e.g. …/aidportal.dump)."
        )

    def handle(self, *args: object, file: Path, **options: object) -> None:
        owner = owner_settings()
        if file.exists():
            raise CommandError(f"{file} exists already; name a new file.")
        # pg_dump writes beside the target, and the backup takes the name only once it is whole
        # and pg_restore can read its table of contents.
        partial = file.with_name(f".{file.name}.partial")
        env = libpq_environment(owner)
        try:
            run(
                ["pg_dump", "--format=custom", "--no-password", f"--file={partial}"],
                env,
                "pg_dump",
            )
            run(["pg_restore", "--list", str(partial)], env, "pg_restore --list")
            os.replace(partial, file)
        finally:
            partial.unlink(missing_ok=True)
        self.stdout.write(
            f"Backed up {owner['NAME']} as {owner['USER']} into {file} "
            f"({file.stat().st_size:,} bytes)."
        )
