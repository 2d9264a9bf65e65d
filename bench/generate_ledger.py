"""Generate a large synthetic programme for benchmarks: projects, budget lines, ledger entries and
the running totals, written by PostgreSQL itself (INSERT … SELECT generate_series).

    DATABASE_URL=postgres://…/some_empty_db .venv/bin/python bench/generate_ledger.py \\
        [--projects 100000 --entries 1000000 --seed 1] [--allow-shared-database]

Meant for a dedicated, migrated database (bench/funding_bench.py makes one and runs `Generator`).
The ledger is append-only, so the generator never deletes: it refuses to run twice into the same
database, and refuses a database that already holds other projects unless told otherwise. To
start again, drop the database.

Every value is derived from hashint8extended(row number, seed), so a given --seed gives the same
rows whatever order PostgreSQL computes them in. Amounts are whole cents in integer arithmetic,
stored as NUMERIC: exact. Per project the entries are, in date order: one incoming commitment, then
repeated (arrival, disbursement of at most that arrival, expenditure of at most that
disbursement), so cumulative disbursements never exceed cumulative arrivals on any date.
"""

import argparse
import datetime
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PROGRAMME_CODE = "synthetic"
CODE_PREFIX = "syn-"
FIRST_YEAR, LAST_YEAR = 2021, 2025
IMPLEMENTERS = 20
STATUSES = ["implementation", "finalisation", "closed"]
MAX_BIGINT = 9223372036854775807


def say(message: str) -> None:
    print(message, flush=True)


def pick(values: list[str], index_sql: str) -> str:
    """A SQL expression choosing values[index % len(values)]."""
    array = "ARRAY[" + ", ".join(f"'{value}'" for value in values) + "]::text[]"
    return f"({array})[1 + ({index_sql}) % {len(values)}]"


class Refused(Exception):
    """The database or the arguments are not fit to generate into; the message says why."""


class Generator:
    """Generates the synthetic programme. Django must be set up first: the models are imported
    inside, as everywhere in bench/, so that the script can set Django up before them."""

    def __init__(self, log: Callable[[str], None] = say) -> None:
        self.log = log

    def run(
        self, *, projects: int, entries: int, seed: int, allow_shared_database: bool = False
    ) -> None:
        from django.db import connection, transaction

        from projects.models import Project
        from reference.models import Programme

        if connection.vendor != "postgresql":
            raise Refused(
                "generate_ledger needs PostgreSQL (it writes with INSERT … SELECT "
                "generate_series); set DATABASE_URL=postgres://… to a dedicated database."
            )
        if projects < 1 or entries < 0:
            raise Refused("--projects must be at least 1 and --entries at least 0.")
        if not 0 <= seed < 2**40:
            raise Refused("--seed must be between 0 and 2**40.")
        if Programme.objects.filter(code=PROGRAMME_CODE).exists():
            raise Refused(
                f"The programme '{PROGRAMME_CODE}' already exists here. Ledger entries cannot be "
                "deleted (append-only), so generate into a fresh database: drop this one or "
                "point DATABASE_URL at another."
            )
        if Project.objects.exists() and not allow_shared_database:
            raise Refused(
                "This database already holds projects. Generate into a dedicated database "
                "(createdb …; DATABASE_URL=… manage.py migrate), or pass "
                "--allow-shared-database if you really want synthetic rows beside real ones."
            )
        self.started = time.monotonic()
        with transaction.atomic():
            programme, period, organisations = self._reference_rows()
            with connection.cursor() as cursor:
                # The sorts and hash joins of a million rows fit in memory this way.
                cursor.execute("SET LOCAL work_mem = '256MB'")
                self._generate(cursor, programme, period, organisations, projects, entries, seed)
            self._step("Committing (PostgreSQL checks the deferred foreign keys now) …")
        self._step(f"Done: {projects:,} projects and {entries:,} ledger entries")

    def _step(self, message: str) -> None:
        self.log(f"[{time.monotonic() - self.started:7.1f}s] {message}")

    def _reference_rows(self):
        from reference.models import Organisation, PlanPeriod, Programme

        organisation = {}
        for code, name_zh, name_en, kind in [
            ("donor", "合成援助城市", "Synthetic donor city", "local_government"),
            ("partner", "合成受援县", "Synthetic partner county", "local_government"),
        ] + [
            (
                f"impl-{n:02d}",
                f"合成实施单位 {n:02d}",
                f"Synthetic implementer {n:02d}",
                "public_body",
            )
            for n in range(1, IMPLEMENTERS + 1)
        ]:
            organisation[code] = Organisation.objects.create(
                code=f"{CODE_PREFIX}{code}", name_zh_hans=name_zh, name_en=name_en, type=kind
            )
        programme = Programme.objects.create(
            code=PROGRAMME_CODE,
            name_zh_hans="合成数据（性能测试）",
            name_en="Synthetic data (benchmark)",
            description_zh_hans="由 generate_ledger 生成的虚构数据，仅用于性能测试。",
            description_en="Made-up data generated by generate_ledger, for benchmarks only.",
            donor=organisation["donor"],
            partner=organisation["partner"],
        )
        period = PlanPeriod.objects.create(
            programme=programme,
            code="synthetic",
            name_zh_hans="合成规划期",
            name_en="Synthetic plan period",
            start_year=FIRST_YEAR,
            end_year=LAST_YEAR,
        )
        self._step("Programme, plan period and organisations created")
        return programme, period, organisation

    def _generate(self, cursor, programme, period, organisations, projects, entries, seed):
        from funding import rollups
        from funding.services import approval_threshold
        from projects.models import Project

        fields = [choice.value for choice in Project.Field]
        categories = [choice.value for choice in Project.Category]

        def h(key_sql: str, salt: int) -> str:
            """A deterministic non-negative pseudo-random bigint for a row and a purpose."""
            return f"(hashint8extended(({key_sql})::bigint, {seed * 64 + salt}) & {MAX_BIGINT})"

        first_day = datetime.date(FIRST_YEAR, 1, 1)
        last_day = datetime.date(LAST_YEAR, 12, 31)
        per_project = -(-entries // projects)  # entries per project, rounded up
        last_k = max(per_project - 1, 0)
        # A project starts within the period's first year; its entries are `gap` days apart and
        # end by the period's last day. Equal dates keep their order through the entry ids.
        room = (last_day - first_day).days - 364
        max_gap = room // last_k if last_k else room
        min_gap = (max_gap + 1) // 2
        years = LAST_YEAR - FIRST_YEAR + 1

        cursor.execute(
            f"""
            INSERT INTO projects_project (
                code, title, title_zh_hans, title_en, summary, summary_zh_hans, summary_en,
                description, description_zh_hans, description_en, field, category, status, stage,
                planned_start, planned_end, planned_investment, currency, flagship,
                beneficiary_unit, published, illustrative_fields, created_at, updated_at,
                programme_id, plan_period_id
            )
            SELECT code, title_zh, title_zh, title_en, '', '', '', '', '', '',
                {pick(fields, h("g", 1))}, {pick(categories, h("g", 2))},
                {pick(STATUSES, h("g", 3))},
                -- The lifecycle stage a status means, as migration projects.0007 sets it.
                CASE {pick(STATUSES, h("g", 3))}
                    WHEN 'implementation' THEN 'in_progress' WHEN 'suspended' THEN 'in_progress'
                    WHEN 'finalisation' THEN 'completed' WHEN 'closed' THEN 'handed_over'
                    WHEN 'cancelled' THEN 'withdrawn' ELSE 'proposal' END,
                DATE '{first_day}', DATE '{last_day}',
                -- One original budget line a year: planned is exactly five of them.
                ({years} * (20000000 + {h("g", 4)} % 80000000)) / 100.0,
                'CNY', {h("g", 5)} % 1000 = 0, '', {h("g", 6)} % 10 <> 0, '[]'::jsonb,
                now(), now(), {int(programme.pk)}, {int(period.pk)}
            FROM (
                SELECT g, '{CODE_PREFIX}' || lpad(g::text, 7, '0') AS code,
                    '合成项目 ' || lpad(g::text, 7, '0') AS title_zh,
                    'Synthetic project ' || lpad(g::text, 7, '0') AS title_en
                FROM generate_series(1, {int(projects)}) AS g
            ) AS numbered
            ORDER BY g
            """
        )
        self._step(f"{cursor.rowcount:,} projects")

        # Each project's number p (0-based) and the parameters its entries are derived from.
        cursor.execute(
            f"""
            CREATE TEMPORARY TABLE synthetic_project ON COMMIT DROP AS
            SELECT p, id, line_cents,
                DATE '{first_day}' + ({h("p", 7)} % 365)::int AS first_date,
                ({min_gap} + {h("p", 8)} % {max_gap - min_gap + 1})::int AS gap
            FROM (
                SELECT row_number() OVER (ORDER BY code) - 1 AS p, id,
                    (planned_investment * 100)::bigint / {years} AS line_cents
                FROM projects_project WHERE programme_id = {int(programme.pk)}
            ) AS numbered
            """
        )
        cursor.execute("CREATE UNIQUE INDEX ON synthetic_project (p)")
        cursor.execute("ANALYZE synthetic_project")

        cursor.execute(
            f"""
            INSERT INTO funding_budgetline (project_id, year, kind, amount, note, illustrative)
            SELECT id, year, 'original', line_cents / 100.0, '', false
            FROM synthetic_project, generate_series({FIRST_YEAR}, {LAST_YEAR}) AS year
            UNION ALL
            -- About one project-year in ten has a revised line, 80–120% of the original.
            SELECT id, year, 'revised',
                (line_cents * (80 + {h("p::bigint * 10000 + year", 9)} % 41) / 100) / 100.0,
                '', false
            FROM synthetic_project, generate_series({FIRST_YEAR}, {LAST_YEAR}) AS year
            WHERE {h("p::bigint * 10000 + year", 10)} % 10 = 0
            """
        )
        self._step(f"{cursor.rowcount:,} budget lines")

        implementers = [organisations[f"impl-{n:02d}"].pk for n in range(1, IMPLEMENTERS + 1)]
        implementer = f"(ARRAY{implementers}::bigint[])[1 + p % {IMPLEMENTERS}]"
        donor, partner = organisations["donor"].pk, organisations["partner"].pk
        # Entry k of a project: 0 is the commitment; then triples j = (k - 1) / 3 of an arrival
        # A (40–120% of a budget line), a disbursement D (50–100% of A) and an expenditure
        # (60–100% of D). Each is recomputed from the same hashes, in whole cents.
        arrival = f"(line_cents * (40 + {h('p::bigint * 1000003 + j', 11)} % 81) / 100)"
        disbursement = f"({arrival} * (50 + {h('p::bigint * 1000003 + j', 12)} % 51) / 100)"
        expenditure = f"({disbursement} * (60 + {h('p::bigint * 1000003 + j', 13)} % 41) / 100)"
        threshold_cents = int(approval_threshold() * 100)
        self._step(f"Generating {entries:,} ledger entries (the longest step) …")
        cursor.execute(
            f"""
            INSERT INTO funding_ledgerentry (
                project_id, type, date, amount, currency, provider_id, receiver_id, voucher,
                note, reason, beyond_arrivals, needs_approval, illustrative, recorded_at
            )
            SELECT id, type, date, cents / 100.0, 'CNY', provider, receiver,
                'SYN-' || p || '-' || k, '', '', false,
                -- As the service does: above the threshold, a disbursement awaits approval.
                type = 'disbursement' AND cents > {threshold_cents}, true,
                -- Distinct moments: the date, then the project, then the entry number.
                (date + TIME '08:00' + p * INTERVAL '100 milliseconds'
                    + k * INTERVAL '1 microsecond') AT TIME ZONE 'Asia/Shanghai'
            FROM (
                SELECT p, id, k, first_date + k * gap AS date,
                    CASE WHEN k = 0 THEN 'incoming_commitment'
                        WHEN t = 0 THEN 'incoming_funds'
                        WHEN t = 1 THEN 'disbursement'
                        ELSE 'expenditure' END AS type,
                    CASE WHEN k = 0 THEN line_cents * {years}
                        WHEN t = 0 THEN {arrival}
                        WHEN t = 1 THEN {disbursement}
                        ELSE {expenditure} END AS cents,
                    CASE WHEN k = 0 OR t = 0 THEN {donor}
                        WHEN t = 1 THEN {partner}
                        ELSE {implementer} END AS provider,
                    CASE WHEN k = 0 OR t = 0 THEN {partner}
                        WHEN t = 1 THEN {implementer} END AS receiver
                FROM (
                    SELECT i, i % {projects} AS p, i / {projects} AS k,
                        (i / {projects} - 1) / 3 AS j, (i / {projects} - 1) % 3 AS t
                    FROM generate_series(0, {int(entries) - 1}) AS i
                ) AS numbered
                JOIN synthetic_project USING (p)
            ) AS entries
            -- Ids in date order, as a ledger posted day by day would have them.
            ORDER BY date, p, k
            """
        )
        self._step(f"{cursor.rowcount:,} ledger entries")

        # The running totals, as funding.services would have kept them (no reversals or
        # approvals are generated, so every entry counts once, or is pending).
        cursor.execute(
            """
            INSERT INTO funding_projectfunding (
                project_id, committed, arrived, disbursed, spent, pending, beyond_arrivals
            )
            SELECT project_id,
                COALESCE(SUM(amount) FILTER (WHERE type = 'incoming_commitment'), 0),
                COALESCE(SUM(amount) FILTER (WHERE type = 'incoming_funds'), 0),
                COALESCE(
                    SUM(amount) FILTER (WHERE type = 'disbursement' AND NOT needs_approval), 0
                ),
                COALESCE(SUM(amount) FILTER (WHERE type = 'expenditure'), 0),
                COALESCE(SUM(amount) FILTER (WHERE needs_approval), 0),
                0
            FROM funding_ledgerentry
            WHERE project_id IN (SELECT id FROM synthetic_project)
            GROUP BY project_id
            """
        )
        self._step(f"{cursor.rowcount:,} project totals")
        cursor.execute(
            """
            INSERT INTO funding_projectfundingyear (project_id, year, arrived, disbursed, spent)
            SELECT project_id, extract(year FROM date)::smallint,
                COALESCE(SUM(amount) FILTER (WHERE type = 'incoming_funds'), 0),
                COALESCE(SUM(amount) FILTER (WHERE type = 'disbursement'), 0),
                COALESCE(SUM(amount) FILTER (WHERE type = 'expenditure'), 0)
            FROM funding_ledgerentry
            WHERE project_id IN (SELECT id FROM synthetic_project)
                AND type IN ('incoming_funds', 'disbursement', 'expenditure')
                AND NOT needs_approval
            GROUP BY project_id, extract(year FROM date)
            """
        )
        self._step(f"{cursor.rowcount:,} project-year totals")
        # The programme rollups, from the totals just written, as the services would keep them.
        for table in ("projects_project", "funding_projectfunding", "funding_projectfundingyear"):
            cursor.execute(f"ANALYZE {table}")
        rollups.rebuild([programme.pk])
        self._step("Programme rollups")
        # Fresh statistics, or the planner would judge the first queries by empty tables.
        for table in (
            "projects_project",
            "funding_budgetline",
            "funding_ledgerentry",
            "funding_projectfunding",
            "funding_projectfundingyear",
            "funding_fundingrollup",
            "funding_fundingrollupyear",
        ):
            cursor.execute(f"ANALYZE {table}")
        self._step("Tables analysed")


def main() -> None:
    parser = argparse.ArgumentParser(
        description="Generate a synthetic programme (code 'synthetic') with N projects and M "
        "ledger entries, their budget lines and running totals, into an otherwise empty, "
        "migrated PostgreSQL database (DATABASE_URL)."
    )
    parser.add_argument("--projects", type=int, default=100_000)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--allow-shared-database",
        action="store_true",
        help="Generate even though the database holds other programmes' projects. The "
        "synthetic rows can then only be removed by dropping the database.",
    )
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aidportal.settings")
    import django

    django.setup()
    try:
        Generator().run(
            projects=args.projects,
            entries=args.entries,
            seed=args.seed,
            allow_shared_database=args.allow_shared_database,
        )
    except Refused as refused:
        sys.exit(str(refused))


if __name__ == "__main__":
    main()
