import dj_database_url
import psycopg2
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from psycopg2 import sql

RUNTIME_ATTRIBUTES = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS"


class Command(BaseCommand):
    help = (
        "Create, as a PostgreSQL superuser, the owner role of MIGRATION_DATABASE_URL, the runtime "
        "role of DATABASE_URL and the database, owned by the owner. Safe to run again: it "
        "creates what is missing and resets the runtime role to own and may create nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--admin-url",
            default="postgres://postgres@127.0.0.1:5432/postgres",
            help="A superuser's connection (default: %(default)s).",
        )
        parser.add_argument(
            "--owner-can-create-databases",
            action="store_true",
            help="Give the owner CREATEDB: the test suite creates its databases as the owner. "
            "Leftover test databases of this database (test_<name>, test_<name>_gw…) are handed "
            "to the owner, so that it can drop and re-create them.",
        )

    def handle(self, *args, admin_url, owner_can_create_databases, **options):
        runtime, owner = settings.DATABASES["default"], settings.DATABASES.get("owner")
        if "postgresql" not in runtime["ENGINE"] or owner is None:
            raise CommandError(
                "Set DATABASE_URL (the runtime role) and MIGRATION_DATABASE_URL (the owner), "
                "both postgres://… to the same database."
            )
        if runtime["USER"] == owner["USER"]:
            raise CommandError("DATABASE_URL and MIGRATION_DATABASE_URL must name two roles.")
        admin = dj_database_url.parse(admin_url)
        try:
            connection = psycopg2.connect(
                dbname=admin["NAME"] or "postgres",
                user=admin["USER"],
                password=admin["PASSWORD"],
                host=admin["HOST"],
                port=admin["PORT"] or 5432,
                connect_timeout=5,
            )
        except psycopg2.OperationalError as error:
            raise CommandError(f"Cannot connect with --admin-url: {str(error).strip()}") from None
        # CREATE DATABASE runs outside a transaction block.
        connection.autocommit = True
        try:
            with connection.cursor() as cursor:
                self._owner(cursor, owner, owner_can_create_databases)
                self._runtime(cursor, runtime, owner)
                self._database(cursor, owner)
                if owner_can_create_databases:
                    self._test_databases(cursor, owner)
        finally:
            connection.close()

    def _role(self, cursor, name):
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = %s", [name])
        row = cursor.fetchone()
        return None if row is None else {"superuser": row[0]}

    def _password(self, cursor, config):
        if config["PASSWORD"]:
            cursor.execute(
                sql.SQL("ALTER ROLE {} PASSWORD %s").format(sql.Identifier(config["USER"])),
                [config["PASSWORD"]],
            )

    def _owner(self, cursor, owner, createdb):
        name = owner["USER"]
        role = self._role(cursor, name)
        if role is not None and role["superuser"]:
            self.stdout.write(f"Owner role {name} is a superuser; left as it is.")
            return
        # CREATEDB is added when asked for and otherwise left as it is, so that running the
        # demo after the tests does not take it away.
        attributes = "LOGIN NOSUPERUSER NOCREATEROLE" + (" CREATEDB" if createdb else "")
        if role is None:
            attributes += "" if createdb else " NOCREATEDB"
        verb = "CREATE" if role is None else "ALTER"
        cursor.execute(sql.SQL(f"{verb} ROLE {{}} {attributes}").format(sql.Identifier(name)))
        self._password(cursor, owner)
        self.stdout.write(f"Owner role {name}: {'created' if role is None else 'kept'}.")

    def _runtime(self, cursor, runtime, owner):
        name = runtime["USER"]
        role = self._role(cursor, name)
        if role is not None and role["superuser"]:
            raise CommandError(
                f"The runtime role {name} is a superuser: privileges would not bind it. Name "
                "another role in DATABASE_URL."
            )
        verb = "CREATE" if role is None else "ALTER"
        cursor.execute(
            sql.SQL(f"{verb} ROLE {{}} {RUNTIME_ATTRIBUTES}").format(sql.Identifier(name))
        )
        self._password(cursor, runtime)
        # A member of the owner role would act as the owner.
        cursor.execute(
            "SELECT r.rolname FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid "
            "JOIN pg_roles u ON u.oid = m.member WHERE u.rolname = %s",
            [name],
        )
        for (granted,) in cursor.fetchall():
            cursor.execute(
                sql.SQL("REVOKE {} FROM {}").format(sql.Identifier(granted), sql.Identifier(name))
            )
        self.stdout.write(f"Runtime role {name}: {'created' if role is None else 'kept'}.")

    def _database(self, cursor, owner):
        name = owner["NAME"]
        cursor.execute("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = %s", [name])
        row = cursor.fetchone()
        if row is None:
            cursor.execute(
                sql.SQL("CREATE DATABASE {} OWNER {}").format(
                    sql.Identifier(name), sql.Identifier(owner["USER"])
                )
            )
            self.stdout.write(f"Database {name}: created, owned by {owner['USER']}.")
        elif row[0] != owner["USER"]:
            self.stdout.write(
                f"Database {name} is owned by {row[0]}, not {owner['USER']}: left as it is. "
                f"Its tables must be owned by {owner['USER']} for migrate to work."
            )
        else:
            self.stdout.write(f"Database {name}: kept.")

    def _test_databases(self, cursor, owner):
        prefix = f"test_{owner['NAME']}"
        cursor.execute(
            "SELECT datname FROM pg_database WHERE (datname = %s OR starts_with(datname, %s)) "
            "AND datdba <> to_regrole(%s)",
            [prefix, f"{prefix}_", owner["USER"]],
        )
        for (name,) in cursor.fetchall():
            cursor.execute(
                sql.SQL("ALTER DATABASE {} OWNER TO {}").format(
                    sql.Identifier(name), sql.Identifier(owner["USER"])
                )
            )
            self.stdout.write(f"Test database {name}: handed to {owner['USER']}.")
