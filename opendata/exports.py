"""The XLSX downloads, built in the background: writing 100,000 projects into a workbook takes
seconds, longer than a reader should wait for an answer, so the Celery worker writes each
dataset's file into the "exports" storage (settings.STORAGES) and the download serves the file.

- A build reads one snapshot of the database: the dataset's `changed()` time and its rows agree,
  and the build is recorded (`Export`) with that time, its rows and the code that wrote it.
- `/data/<name>.xlsx` serves the build of the data as it is now (`State.current`); otherwise it
  queues a build and answers 202, linking the latest older build by its own address.
- The /data/ page reads its row counts from the same builds: a few rows, however large the
  tables, each count with the time its data is as of.

A file is stored under a name of its own and recorded only once it is whole, so a reader never
gets half a file; once a newer build is recorded, older ones go, rows and files.
"""

import datetime
import tempfile
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.core.cache import cache
from django.core.files import File
from django.core.files.storage import Storage, storages
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from opendata import downloads
from opendata.datasets import BY_NAME, Dataset, changed_times
from opendata.models import Export
from projects.caching import code_version

XLSX = Export.Format.XLSX
# While a dataset's build is queued or running, no other is queued: however often its data change
# and however many readers ask, the worker builds a dataset once at a time, from the data as they
# are when it starts. Should the worker lose a build, a reader after this long queues it again.
QUEUED_SECONDS = 10 * 60
# A dataset is built again no sooner than this many times its last build's length after that
# build: data that change all day long keep the worker busy with one dataset a tenth of its time
# at most (a second for a 0.1 s build, ten minutes for a minute-long one).
PACE = 10


def storage() -> Storage:
    return storages["exports"]


def _newest_first(export: Export) -> tuple:
    never = datetime.datetime.min.replace(tzinfo=datetime.UTC)
    return (export.data_as_of or never, export.built_at)


@dataclass(frozen=True)
class State:
    """A dataset's file as a reader finds it: when the data last changed and the latest build."""

    dataset: Dataset
    data_as_of: datetime.datetime | None
    latest: Export | None

    @property
    def current(self) -> Export | None:
        """The latest build if it was written from the data as it is now, by this code."""
        latest = self.latest
        if (
            latest
            and latest.data_as_of == self.data_as_of
            and latest.code_version == code_version()
        ):
            return latest
        return None


def states(datasets: Iterable[Dataset]) -> dict[str, State]:
    """Each dataset's state in two queries, whatever the size of the data: the latest change of
    every dataset (MAX over indexed columns) and the builds recorded (about one per dataset)."""
    datasets = list(datasets)
    times = changed_times(datasets)
    latest: dict[str, Export] = {}
    names = [dataset.name for dataset in datasets]
    for export in Export.objects.filter(format=XLSX, dataset__in=names):
        known = latest.get(export.dataset)
        if known is None or _newest_first(export) > _newest_first(known):
            latest[export.dataset] = export
    return {
        dataset.name: State(dataset, times[dataset.name], latest.get(dataset.name))
        for dataset in datasets
    }


def _queued(name: str) -> str:
    return f"opendata:build:{name}:{XLSX}"


def seconds_to_next_build(state: State) -> float:
    """How long until the dataset may be built again (PACE), from now."""
    last = state.latest
    if last is None:
        return 0.0
    due = last.built_at + datetime.timedelta(seconds=last.seconds * (1 + PACE))
    return max(0.0, (due - timezone.now()).total_seconds())


def queue_build(state: State) -> bool:
    """Queue a build of the dataset unless one is queued or running, to start when PACE allows:
    the first reader takes the lock (cache.add, atomic in Redis and shared by every web process
    and worker), the others find it taken. Returns whether the build has already run, here (no
    broker: tasks run in the process that sends them, at once)."""
    wait = seconds_to_next_build(state)
    if not cache.add(_queued(state.dataset.name), True, QUEUED_SECONDS + wait):
        return False
    from opendata.tasks import build_export  # which imports this module

    build_export.apply_async(args=[state.dataset.name], countdown=wait)
    return bool(build_export.app.conf.task_always_eager)


def build_queued(name: str) -> Export | None:
    """The queued build, run by the worker; once it ends, the next reader may queue another."""
    try:
        return build(name)
    finally:
        cache.delete(_queued(name))


@contextmanager
def _snapshot() -> Iterator[None]:
    """One snapshot of the database for everything read inside: on PostgreSQL a REPEATABLE READ
    transaction (read committed would let rows committed meanwhile into the file after its time
    was read). Inside a transaction already (a task run eagerly in a test), that one's."""
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        yield


def build(name: str) -> Export | None:
    """The worker's side: write the dataset's workbook from one snapshot of the data, store it
    under a name no reader knows yet, then record it, so a reader gets a whole file or none; then
    remove older builds. Nothing is built when this data was already built by this code (a task
    delivered twice, or queued for an older time and run after another build)."""
    dataset = BY_NAME[name]
    code = code_version()
    started, clock = timezone.now(), time.perf_counter()
    with _snapshot():
        as_of = dataset.changed()
        done = Export.objects.filter(dataset=name, format=XLSX, data_as_of=as_of, code_version=code)
        if done.exists():
            return None
        with tempfile.TemporaryFile() as file:
            rows = downloads.write_workbook(dataset, file)
            size = file.tell()
            file.seek(0)
            stamp = started.strftime("%Y%m%dT%H%M%S")
            stored = storage().save(
                f"{name}/{name}-{stamp}-{uuid.uuid4().hex[:12]}.{XLSX}", File(file)
            )
    try:
        with transaction.atomic():
            export = Export.objects.create(
                dataset=name,
                format=XLSX,
                data_as_of=as_of,
                code_version=code,
                rows=rows,
                file=stored,
                size=size,
                built_at=started,
                seconds=time.perf_counter() - clock,
            )
    except IntegrityError:
        # Another worker recorded the same data first: its file serves.
        storage().delete(stored)
        return None
    _remove_older(name)
    return export


@transaction.atomic
def _remove_older(name: str) -> None:
    """Keep only the dataset's newest build; the others' files go once their rows have."""
    builds = sorted(Export.objects.filter(dataset=name, format=XLSX), key=_newest_first)
    older = builds[:-1]
    Export.objects.filter(pk__in=[export.pk for export in older]).delete()
    files = [export.file for export in older]

    def delete_files() -> None:
        for file in files:
            storage().delete(file)

    transaction.on_commit(delete_files)
