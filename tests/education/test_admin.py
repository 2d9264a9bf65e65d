import io

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from education.models import AccessLogEntry, ExamResult, Student
from reference.models import Place
from tests.education.factories import CohortFactory, EnrolmentFactory
from tests.factories import PlaceFactory

pytestmark = pytest.mark.django_db

IMPORT = "/admin/education/examresult/import/"


def test_education_staff_reads_are_logged(school, callers):
    client = callers["education_staff"]
    student = school.students[0]

    assert client.get("/admin/education/student/").status_code == 200
    assert client.get(f"/admin/education/student/{student.pk}/change/").status_code == 200
    assert client.get(f"/admin/education/cohort/{school.cohort.pk}/change/").status_code == 200

    rows = list(AccessLogEntry.objects.order_by("pk"))
    assert [(row.model, len(row.object_ids)) for row in rows] == [
        ("education.Student", 7),  # both classes' students on the list page
        ("education.Student", 1),
        ("education.Student", 6),  # the cohort page lists its enrolments
    ]
    assert all(row.user.username == "teacher" for row in rows)
    assert rows[1].object_ids == [str(student.pk)]


def test_the_access_log_is_read_only(school, callers):
    callers["education_staff"].get("/admin/education/student/")
    entry = AccessLogEntry.objects.get()
    client = callers["education_staff"]

    assert client.get("/admin/education/accesslogentry/").status_code == 200
    assert client.get("/admin/education/accesslogentry/add/").status_code == 403
    assert client.post(f"/admin/education/accesslogentry/{entry.pk}/delete/").status_code == 403


def test_students_are_anonymised_not_deleted(school, callers):
    client = callers["education_staff"]
    student = school.students[0]

    assert client.get(f"/admin/education/student/{student.pk}/delete/").status_code == 403
    response = client.post(
        "/admin/education/student/",
        {"action": "anonymise_selected", "_selected_action": [student.pk]},
    )

    assert response.status_code == 302
    student.refresh_from_db()
    assert student.name == "" and student.anonymised_at is not None
    assert ExamResult.objects.filter(student=student).exists()


def test_staff_add_a_result_through_the_rules(school, callers):
    newcomer = EnrolmentFactory(cohort=school.cohort).student
    form = {"student": newcomer.pk, "exam": school.exam.pk, "cohort": school.cohort.pk}
    client = callers["education_staff"]

    refused = client.post("/admin/education/examresult/add/", {**form, "score": "950"})
    added = client.post("/admin/education/examresult/add/", {**form, "score": "650"})

    assert refused.status_code == 200
    assert "900" in refused.content.decode()
    assert added.status_code == 302
    assert ExamResult.objects.get(student=newcomer).score == 650


def csv_upload(rows: list[str]):
    content = (
        "\ufeff" + "\r\n".join(["学生编号,考试编号,入学年份,缺考,分数,区内排名", *rows])
    ).encode()
    upload = io.BytesIO(content)
    upload.name = "results.csv"
    return upload


def test_import_reports_every_problem_by_row_and_column_and_writes_nothing(school, callers):
    a, b = (EnrolmentFactory(cohort=school.cohort).student for _ in range(2))
    upload = csv_upload(
        [
            f"{a.public_id},{school.exam.code},2020,,700,5",
            f"{b.public_id},{school.exam.code},2020,是,650,",
            f"NOPE,{school.exam.code},2019,,x,",
        ]
    )
    before = ExamResult.objects.count()

    response = callers["education_staff"].post(
        IMPORT, {"programme": school.programme.pk, "file": upload}
    )

    assert response.status_code == 200
    problems = {(p.row, p.column) for p in response.context["report"].problems}
    assert problems == {(3, "分数"), (4, "学生编号"), (4, "入学年份"), (4, "分数")}
    assert ExamResult.objects.count() == before


def test_import_writes_all_rows_of_a_good_file(school, callers):
    a, b = (EnrolmentFactory(cohort=school.cohort).student for _ in range(2))
    upload = csv_upload(
        [
            f"{a.public_id},{school.exam.code},2020,,700,5",
            f"{b.public_id},{school.exam.code},2020,是,,",
        ]
    )

    response = callers["education_staff"].post(
        IMPORT, {"programme": school.programme.pk, "file": upload}
    )

    assert response.status_code == 302
    assert ExamResult.objects.get(student=a).score == 700
    assert ExamResult.objects.get(student=b).absent


def test_import_template_has_the_chinese_headers(school, callers):
    response = callers["education_staff"].get(f"{IMPORT}template.xlsx")

    sheet = load_workbook(io.BytesIO(response.content)).active
    assert [cell.value for cell in sheet[1]] == [
        "学生编号",
        "考试编号",
        "入学年份",
        "缺考",
        "分数",
        "区内排名",
    ]


def test_staff_without_the_role_cannot_import(school, callers):
    assert callers["staff_no_role"].get(IMPORT).status_code == 403
    assert Student.objects.count() == 7


def test_the_import_command_writes_all_or_nothing(school, tmp_path):
    from django.core.management import CommandError, call_command

    a = EnrolmentFactory(cohort=school.cohort).student
    good = tmp_path / "good.csv"
    good.write_bytes(csv_upload([f"{a.public_id},{school.exam.code},2020,,700,"]).getvalue())
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_upload([f"{a.public_id},{school.exam.code},2020,,999,"]).getvalue())

    with pytest.raises(CommandError, match="1 problem"):
        call_command("import_results", school.programme.code, str(bad), stderr=io.StringIO())
    assert not ExamResult.objects.filter(student=a).exists()
    out = io.StringIO()
    call_command("import_results", school.programme.code, str(good), stdout=out)
    assert "Imported: 1 results" in out.getvalue()
    assert ExamResult.objects.get(student=a).score == 700


def test_cohort_list_shows_published_intakes_in_constant_queries(school, callers):
    client = callers["education_staff"]

    def page():
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/admin/education/cohort/")
        assert response.status_code == 200
        return response.content.decode(), len(queries)

    _few, few_queries = page()
    for year in (2030, 2031, 2032):
        CohortFactory(programme=school.cohort.programme, intake_year=year, reported_intake=40)
    content, more_queries = page()

    assert more_queries == few_queries
    assert content.count(">40<") == 3  # each new cohort's published intake


def test_the_student_form_asks_for_the_name_and_offers_the_partner_districts_townships(
    school, callers
):
    client = callers["education_staff"]
    district = PlaceFactory(level=Place.Level.DISTRICT, name_zh_hans="色尼区")
    school.programme.pairing.partner_place = district
    school.programme.pairing.save()
    own = PlaceFactory(level=Place.Level.TOWNSHIP, parent=district, name_zh_hans="罗玛镇")
    elsewhere = PlaceFactory(
        level=Place.Level.TOWNSHIP,
        parent=PlaceFactory(level=Place.Level.DISTRICT),
        name_zh_hans="别处镇",
    )

    page = client.get("/admin/education/student/add/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    html = page.content.decode()
    form = page.context["adminform"].form

    assert "姓名" in html
    assert form.fields["name"].required
    assert list(form.fields["home_township"].queryset) == [own]
    assert elsewhere.name_zh_hans not in html
    response = client.post(
        "/admin/education/student/add/",
        {
            "name": "",
            "gender": "",
            "enrolments-TOTAL_FORMS": "0",
            "enrolments-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200 and "name" in response.context["adminform"].form.errors


def test_the_public_id_shown_is_the_one_saved(school, callers):
    client = callers["education_staff"]
    drafts = set(Student.objects.values_list("public_id", flat=True))

    page = client.get("/admin/education/student/add/").content.decode()
    response = client.post(
        "/admin/education/student/add/",
        {
            "name": "新生",
            "gender": "",
            "enrolments-TOTAL_FORMS": "0",
            "enrolments-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302
    student = Student.objects.exclude(public_id__in=drafts).get()
    assert "public_id" not in page and "public id" not in page.lower()
    change = client.get(f"/admin/education/student/{student.pk}/change/").content.decode()
    assert student.public_id in change


def test_superusers_read_pupils_records_and_every_read_is_logged(school):
    user = User.objects.create_superuser("root")
    client = Client()
    client.force_login(user)

    assert client.get("/admin/education/student/").status_code == 200

    entry = AccessLogEntry.objects.get()
    assert entry.user == user and len(entry.object_ids) == 7
