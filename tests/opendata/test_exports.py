"""The XLSX downloads are built by a real Celery worker (a subprocess on the test database, Redis
as its broker): the first reader of a changed dataset is told the file is being prepared (202)
and offered the previous file, the same address serves the new file once the worker has written
it, and only the file of the data now is ever served there as current."""

import io

import pytest
import redis
from django.db import DatabaseError, connection, transaction
from openpyxl import load_workbook

from aidportal.celery import app as celery_app
from opendata import exports
from opendata.datasets import BY_NAME
from opendata.models import Export
from projects import selectors as projects
from tests.changes.test_worker import BROKER, Worker, use_broker, wait_for
from tests.factories import ProjectFactory
from tests.opendata.conftest import body

URL = "/data/projects.xlsx"


@pytest.fixture
def worker(tmp_path, test_redis):
    redis.Redis.from_url(BROKER).flushdb()
    before = (celery_app.conf.task_always_eager, celery_app.conf.broker_url)
    use_broker(False, BROKER)  # this process queues builds, as the web process does
    # The cache is shared, as in production: the worker lets go of the build it was queued for.
    running = Worker(tmp_path / "worker.log", REDIS_URL=test_redis)
    running.start()
    yield running
    running.stop()
    use_broker(*before)
    redis.Redis.from_url(BROKER).flushdb()


def workbook_rows(content: bytes) -> list[tuple]:
    workbook = load_workbook(io.BytesIO(content), read_only=True)
    return list(workbook.worksheets[0].iter_rows(values_only=True))


def codes_in(content: bytes) -> list[str]:
    header, *rows = workbook_rows(content)
    assert list(header) == BY_NAME["projects"].field_names
    return [row[0] for row in rows]


def published_codes() -> list[str]:
    return list(projects.published_projects().values_list("code", flat=True))


def served(client) -> bool:
    return client.get(URL).status_code == 200


def preparing(response, older: Export | None) -> str:
    page = response.content.decode()
    assert response.status_code == 202
    assert response["Content-Type"].startswith("text/html")
    assert response["Retry-After"].isdigit()
    assert f'<meta http-equiv="refresh" content="{response["Retry-After"]}">' in page
    # In both languages: the address is the same for every reader.
    assert "文件正在生成" in page and "The file is being prepared" in page
    # Never cached, and no ETag: the page is not the file.
    assert "no-store" in response["Cache-Control"] and not response.has_header("ETag")
    link = f'href="/data/files/{older.pk}/projects.xlsx"' if older else "/data/files/"
    assert (link in page) == (older is not None)
    return page


@pytest.mark.usefixtures("transactional_db")
def test_the_worker_builds_the_file_the_same_address_then_serves(client, worker):
    for _ in range(3):
        ProjectFactory()

    first = client.get(URL)

    preparing(first, older=None)
    wait_for(lambda: served(client), "the worker to build the file", worker)
    response = client.get(URL)
    assert response["Content-Disposition"] == 'attachment; filename="projects.xlsx"'
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "public" in response["Cache-Control"]
    assert codes_in(body(response)) == published_codes()
    build = Export.objects.get()
    assert (build.dataset, build.rows, build.data_as_of) == (
        "projects",
        3,
        BY_NAME["projects"].changed(),
    )
    # A reader holding this file is told it is still the one.
    again = client.get(URL, headers={"if-none-match": response["ETag"]})
    assert again.status_code == 304

    # A change: the address says the file is being prepared, and offers the previous one.
    ProjectFactory()
    changed = client.get(URL, headers={"if-none-match": response["ETag"]})

    page = preparing(changed, older=build)
    assert "3 rows" in page
    older = client.get(f"/data/files/{build.pk}/projects.xlsx")
    assert "immutable" in older["Cache-Control"]
    assert len(codes_in(body(older))) == 3
    wait_for(lambda: served(client), "the worker to build the new file", worker)
    assert codes_in(body(client.get(URL))) == published_codes()
    assert len(published_codes()) == 4
    # The newer build replaced the older one, row and file.
    assert Export.objects.get().rows == 4
    assert client.get(f"/data/files/{build.pk}/projects.xlsx").status_code == 404
    assert not exports.storage().exists(build.file)


@pytest.mark.django_db
def test_without_a_broker_the_file_is_built_while_the_reader_waits(client):
    # make run on SQLite: tasks run in the process that sends them.
    assert celery_app.conf.task_always_eager
    project = ProjectFactory()

    response = client.get(URL)

    assert response.status_code == 200
    assert codes_in(body(response)) == [project.code]
    build = Export.objects.get()
    assert client.get(URL, headers={"if-none-match": response["ETag"]}).status_code == 304
    ProjectFactory()
    assert codes_in(body(client.get(URL))) == published_codes()
    assert Export.objects.get().pk != build.pk


@pytest.mark.django_db
def test_one_build_is_queued_however_many_readers_ask_and_the_data_change(client, queued_only):
    ProjectFactory()

    answers = [client.get(URL).status_code for _ in range(3)]
    ProjectFactory()  # the build, when it runs, reads the data as they are then
    answers += [client.get(URL).status_code for _ in range(2)]

    assert answers == [202] * 5
    assert queued_only() == ["projects"]
    assert not Export.objects.exists()
    # Once it has run, the next reader of changed data queues the next.
    exports.build_queued("projects")
    ProjectFactory()
    assert client.get(URL).status_code == 202
    assert queued_only() == ["projects", "projects"]


@pytest.mark.django_db
def test_a_build_of_data_already_built_changes_nothing(client):
    ProjectFactory()
    build = exports.build("projects")

    assert build is not None and exports.build("projects") is None
    assert list(Export.objects.all()) == [build]


@pytest.mark.django_db
def test_the_runtime_role_adds_reads_and_deletes_builds_and_never_changes_one():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT privilege, has_table_privilege(current_user, 'opendata_export', privilege) "
            "FROM unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE']) AS privilege"
        )
        privileges = dict(cursor.fetchall())
    assert privileges == {
        "SELECT": True,
        "INSERT": True,
        "UPDATE": False,
        "DELETE": True,
        "TRUNCATE": False,
    }
    ProjectFactory()
    build = exports.build("projects")
    with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic():
        Export.objects.filter(pk=build.pk).update(rows=0)
    Export.objects.filter(pk=build.pk).delete()
    assert not Export.objects.exists()


@pytest.mark.django_db
def test_a_dataset_is_built_again_no_sooner_than_its_pace_allows(client, queued_only):
    import dataclasses
    import datetime
    import json

    from django.utils import timezone

    ProjectFactory()
    exports.build("projects")
    ProjectFactory()  # the data change right after a build
    state = exports.states([BY_NAME["projects"]])["projects"]
    # As if that build had taken 3 s: the next may start 30 s after it ended.
    slow = dataclasses.replace(state, latest=Export(built_at=timezone.now(), seconds=3))

    assert exports.queue_build(slow) is False

    message = json.loads(redis.Redis.from_url(BROKER).lrange("celery", 0, -1)[0])
    eta = datetime.datetime.fromisoformat(message["headers"]["eta"])
    assert queued_only() == ["projects"]
    assert 30 < (eta - timezone.now()).total_seconds() <= 33
