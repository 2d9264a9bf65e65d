"""Large ledger imports run on a real Celery worker (a subprocess on the test database, Redis as
its broker): all rows land, or a bad row anywhere writes nothing and the job lists it by row;
only staff who may import entries start or see the jobs."""

import io
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, User
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from core import jobs
from core.models import ImportJob
from funding import imports
from funding.models import ClosedPeriod, LedgerEntry, ProjectFunding, ProjectFundingYear
from tests.changes.test_worker import BROKER, Worker, use_broker, wait_for
from tests.factories import ProjectFactory

pytestmark = pytest.mark.usefixtures("transactional_db")

IMPORT = "/en/admin/funding/ledgerentry/import/"
JOBS = "/en/admin/core/importjob/"
HEADERS = "项目编号,类型,日期,金额（元）,凭证号"


@pytest.fixture
def worker(tmp_path):
    import redis

    from aidportal.celery import app as celery_app

    redis.Redis.from_url(BROKER).flushdb()
    before = (celery_app.conf.task_always_eager, celery_app.conf.broker_url)
    use_broker(False, BROKER)  # this process queues jobs, as the web process does
    running = Worker(tmp_path / "worker.log")
    running.start()
    yield running
    running.stop()
    use_broker(*before)
    redis.Redis.from_url(BROKER).flushdb()


@pytest.fixture
def background(settings):
    # Anything above 1 KB goes to the worker.
    settings.IMPORT_BACKGROUND_BYTES = 1024


def staff_in(group_name: str) -> User:
    user = User.objects.create_user(group_name.replace(" ", "-"), is_staff=True)
    user.groups.add(Group.objects.get(name=group_name))
    return user


def ledger_csv(projects, per_project: int = 4) -> list[list[str]]:
    """Rows every rule accepts: per project an arrival, a disbursement of part of it, an
    expenditure and a commitment, repeated."""
    pattern = [("到位", "3000.00"), ("拨付", "1500.00"), ("支出", "700.50"), ("承诺", "9000")]
    rows = []
    for index, project in enumerate(projects):
        for step in range(per_project):
            kind, amount = pattern[step % 4]
            rows.append([project.code, kind, f"2024-03-{1 + step % 28:02d}", amount, f"v{index}"])
    return rows


def as_csv(rows) -> bytes:
    return "\n".join([HEADERS, *(",".join(row) for row in rows)]).encode()


def finished(job: ImportJob) -> bool:
    job.refresh_from_db()
    return not job.running


def test_a_large_import_runs_on_the_worker_and_lands_every_row(client, worker, background):
    projects = [ProjectFactory(planned_investment=Decimal("100000")) for _ in range(50)]
    rows = ledger_csv(projects, per_project=40)  # 2,000 rows
    officer = staff_in("Finance officer")
    client.force_login(officer)

    response = client.post(IMPORT, {"file": SimpleUploadedFile("big.csv", as_csv(rows))})

    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"{JOBS}{job.pk}/change/"
    assert not LedgerEntry.objects.exists()  # nothing was written while the uploader waited
    wait_for(lambda: finished(job), "the import job", worker, timeout=120)
    assert (job.status, job.rows_total, job.rows_checked, job.rows_written) == (
        ImportJob.Status.DONE,
        2000,
        2000,
        2000,
    )
    assert (job.created_by, job.problems, bytes(job.content)) == (officer, [], b"")
    assert LedgerEntry.objects.count() == 2000
    assert set(LedgerEntry.objects.values_list("recorded_by", flat=True)) == {officer.pk}
    totals = ProjectFunding.objects.get(project=projects[0])
    # 10 rounds of each: arrived 30,000, disbursed 15,000, spent 7,005, committed 90,000.
    assert (totals.arrived, totals.disbursed, totals.spent, totals.committed) == (
        Decimal("30000.00"),
        Decimal("15000.00"),
        Decimal("7005.00"),
        Decimal("90000.00"),
    )
    assert ProjectFundingYear.objects.get(project=projects[0], year=2024).spent == Decimal("7005")
    call_command("check_ledger", stdout=io.StringIO())  # raises if any total disagrees
    page = client.get(f"{JOBS}{job.pk}/change/").content.decode()
    assert "big.csv" in page and "2,000 of 2,000" in page
    assert 'http-equiv="refresh"' not in page  # it has finished: no more reloading


def test_a_bad_row_anywhere_writes_nothing_and_the_job_lists_it(client, worker, background):
    projects = [ProjectFactory(planned_investment=Decimal("100000")) for _ in range(10)]
    rows = ledger_csv(projects, per_project=40)
    rows[250][3] = "abc"  # spreadsheet row 252
    rows[399] = [projects[9].code, "拨付", "2024-04-01", "99999"]  # row 401: beyond arrivals
    client.force_login(staff_in("Finance officer"))

    client.post(IMPORT, {"file": SimpleUploadedFile("bad.csv", as_csv(rows))})

    job = ImportJob.objects.get()
    wait_for(lambda: finished(job), "the import job", worker, timeout=120)
    assert (job.status, job.rows_checked, job.rows_written) == (ImportJob.Status.FAILED, 400, 0)
    assert [(row, column) for row, column, _message in job.problems] == [
        (252, "金额（元）"),
        (401, "金额（元）"),
    ]
    assert "Only 15,000.00 CNY" in job.problems[1][2]  # in the uploader's language
    assert not LedgerEntry.objects.exists()
    page = client.get(f"{JOBS}{job.pk}/change/").content.decode()
    assert "<td>401</td><td>金额（元）</td>" in page


def test_a_row_refused_only_at_write_time_undoes_the_whole_file(client, worker, background):
    # The rows pass the check; the service refuses the last one (its year is closed) inside the
    # write's transaction, after every other row was inserted.
    projects = [ProjectFactory(planned_investment=Decimal("100000")) for _ in range(10)]
    approver = staff_in("Finance approver")
    ClosedPeriod.objects.create(programme=projects[9].programme, year=2023, closed_by=approver)
    rows = ledger_csv(projects, per_project=40)
    rows[-1] = [projects[9].code, "支出", "2023-12-31", "1"]
    client.force_login(approver)

    client.post(IMPORT, {"file": SimpleUploadedFile("closed.csv", as_csv(rows))})

    job = ImportJob.objects.get()
    wait_for(lambda: finished(job), "the import job", worker, timeout=120)
    assert job.status == ImportJob.Status.FAILED
    assert [(row, column) for row, column, _message in job.problems] == [(401, "日期")]
    assert "The books of 2023 are closed" in job.problems[0][2]
    assert not LedgerEntry.objects.exists()
    assert not ProjectFunding.objects.exclude(arrived=0).exists()


def test_a_small_file_is_imported_while_the_uploader_waits(client, settings):
    settings.IMPORT_BACKGROUND_BYTES = 1024 * 1024
    project = ProjectFactory(planned_investment=Decimal("100000"))
    client.force_login(staff_in("Finance officer"))

    response = client.post(
        IMPORT, {"file": SimpleUploadedFile("small.csv", as_csv(ledger_csv([project])))}
    )

    assert response["Location"] == "/en/admin/funding/ledgerentry/"
    assert LedgerEntry.objects.count() == 4
    assert not ImportJob.objects.exists()


def test_staff_who_may_not_import_entries_neither_start_nor_see_jobs(client, background):
    officer, auditor = staff_in("Finance officer"), staff_in("Auditor")
    job = jobs.start_import(
        importer=imports.LedgerImporter,
        content=as_csv(ledger_csv([ProjectFactory()])),
        filename="theirs.csv",
        started_by=officer,
    )
    client.force_login(auditor)

    refused = client.post(IMPORT, {"file": SimpleUploadedFile("big.csv", b"x" * 2048)})

    assert refused.status_code == 403
    with pytest.raises(PermissionDenied):
        jobs.start_import(
            importer=imports.LedgerImporter, content=b"x", filename="x.csv", started_by=auditor
        )
    assert ImportJob.objects.count() == 1
    assert client.get(JOBS).status_code == 403
    assert client.get(f"{JOBS}{job.pk}/change/").status_code in (302, 403, 404)
    assert JOBS not in client.get("/en/admin/").content.decode()
    assert list(jobs.visible_jobs(auditor)) == []
    assert list(jobs.visible_jobs(officer)) == [job]
    client.force_login(officer)
    assert JOBS in client.get("/en/admin/").content.decode()
    assert "theirs.csv" in client.get(JOBS).content.decode()


def test_a_job_waiting_for_the_worker_reloads_its_page(client, background):
    officer = staff_in("Finance officer")
    job = ImportJob.objects.create(
        created_by=officer,
        importer="funding.imports.LedgerImporter",
        permission="funding.add_ledgerentry",
        filename="waiting.csv",
        size=1,
        content=b"x",
        language="en",
    )
    client.force_login(officer)

    page = client.get(f"{JOBS}{job.pk}/change/").content.decode()

    assert 'http-equiv="refresh"' in page and "waiting for the worker" in page


def test_a_job_stopped_by_an_unexpected_error_says_so_and_writes_nothing():
    # An importer that cannot check anything: the base class, whose check is not implemented.
    job = ImportJob.objects.create(
        created_by=staff_in("Finance officer"),
        importer="core.imports.Importer",
        permission="funding.add_ledgerentry",
        filename="any.csv",
        size=1,
        content=as_csv(ledger_csv([ProjectFactory()])),
        language="en",
    )

    with pytest.raises(NotImplementedError):
        jobs.run_import(job.pk)

    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert job.problems == [[None, "", jobs.STOPPED]]
    assert not LedgerEntry.objects.exists()
