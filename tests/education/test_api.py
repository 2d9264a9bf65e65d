"""The education API: public aggregates, restricted students and results, posting results."""

import datetime
import uuid
from decimal import Decimal

import pytest
from django.test import Client

from api.models import AuditEntry
from education.models import AccessLogEntry, Cohort, ExamResult
from reference.models import ReportedFigure
from tests.api_utils import assert_each_row_is_its_own_page
from tests.education.factories import (
    CohortFactory,
    EnrolmentFactory,
    ExamFactory,
    SponsoredProgrammeFactory,
)

pytestmark = pytest.mark.django_db

RESULTS = "/api/v1/education/results/"
STUDENTS = "/api/v1/education/students/"


def post(client, body, key=None):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post(RESULTS, body, content_type="application/json", **headers)


def body_for(school, student, **changes):
    return {
        "student": student.public_id,
        "exam": school.exam.code,
        "cohort": school.cohort.pk,
        "score": "812.5",
        "area_rank": 4,
        **changes,
    }


def test_cohort_stats_are_public_and_suppressed_with_reasons(school, released, callers):
    response = callers["anonymous"].get(f"/api/v1/education/cohorts/{school.cohort.pk}/stats/")

    assert response.status_code == 200
    (exam,) = response.json()["exams"]
    assert exam["basis"] == "recorded"
    assert exam["sitting"] == 6
    assert exam["mean"] == "725.0"
    assert exam["highest"] == "850.0"
    assert exam["lowest"] is None
    assert exam["suppressed"]["lowest"]["code"] == "individual-score"
    # 3 of 6 in the top 30: a group of 3 either way.
    assert exam["in_area_top_n"] is None
    assert exam["suppressed"]["in_area_top_n"]["code"] == "small-group"


def test_cohort_list_gives_intakes(school, callers):
    response = callers["anonymous"].get("/api/v1/education/cohorts/", {"programme": "class-a"})

    assert response.status_code == 200
    (cohort,) = response.json()["results"]
    assert (cohort["intake"], cohort["intake_basis"]) == (6, "recorded")


def test_school_key_posts_a_result_once_and_the_public_figures_wait_for_a_release(
    school, released, callers
):
    newcomer = EnrolmentFactory(cohort=school.cohort).student
    key = str(uuid.uuid4())

    first = post(callers["school"], body_for(school, newcomer), key=key)
    again = post(callers["school"], body_for(school, newcomer), key=key)

    assert first.status_code == 201, first.content
    assert first.json()["score"] == "812.5"
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert ExamResult.objects.filter(student=newcomer).count() == 1
    assert AuditEntry.objects.filter(model="education.ExamResult", action="create").count() == 1
    stats = callers["anonymous"].get(f"/api/v1/education/cohorts/{school.cohort.pk}/stats/")
    # Published per release: the new result is not public until the next release.
    assert stats.json()["exams"][0]["sitting"] == 6


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"score": "900.1"}, "score"),
        ({"score": "-1"}, "score"),
        ({"absent": True}, "score"),
        ({"score": None}, "score"),
        ({"area_rank": 0}, "area_rank"),
        ({"exam": "no-such-exam"}, "exam"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_bad_results_are_refused_per_field_and_nothing_is_written(school, callers, changes, field):
    newcomer = EnrolmentFactory(cohort=school.cohort).student
    before = ExamResult.objects.count()

    response = post(callers["school"], body_for(school, newcomer, **changes))

    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert ExamResult.objects.count() == before


def test_a_student_sits_an_exam_once(school, callers):
    response = post(callers["school"], body_for(school, school.students[0]))

    assert response.status_code == 400
    assert "exam" in response.json()["errors"]


def test_a_student_not_enrolled_in_the_cohort_is_refused(school, callers):
    outsider = EnrolmentFactory(
        cohort=school.cohort.__class__.objects.create(
            programme=school.programme, intake_year=2021, grade=7
        )
    ).student

    response = post(callers["school"], body_for(school, outsider))

    assert response.status_code == 400
    assert "student" in response.json()["errors"]


def test_another_schools_key_cannot_post_to_this_cohort(school, callers):
    newcomer = EnrolmentFactory(cohort=school.cohort).student

    response = post(callers["other_school"], body_for(school, newcomer))

    assert response.status_code == 400
    assert "cohort" in response.json()["errors"]
    assert not ExamResult.objects.filter(student=newcomer).exists()


def test_who_may_post(school, callers):
    newcomer = EnrolmentFactory(cohort=school.cohort).student
    read_only = callers["school"].__class__(
        HTTP_AUTHORIZATION=f"Bearer {school.keys['school_read']}"
    )
    assert post(callers["anonymous"], body_for(school, newcomer)).status_code == 401
    assert post(read_only, body_for(school, newcomer)).status_code == 403
    assert post(callers["staff_no_role"], body_for(school, newcomer)).status_code == 403
    response = post(callers["education_staff"], body_for(school, newcomer, score="700"))
    assert response.status_code == 201, response.content


def test_reads_of_students_and_results_are_logged(school, callers):
    before = AccessLogEntry.objects.count()

    listed = callers["school"].get(STUDENTS)
    one = callers["school"].get(f"{STUDENTS}{school.students[0].public_id}/")
    results = callers["education_staff"].get(RESULTS)

    assert listed.status_code == one.status_code == results.status_code == 200
    entries = list(AccessLogEntry.objects.order_by("pk"))[before:]
    assert [(e.model, len(e.object_ids)) for e in entries] == [
        ("education.Student", 6),
        ("education.Student", 1),
        ("education.ExamResult", 6),
    ]
    assert entries[0].api_key.organisation.code == "school-a" and entries[0].user is None
    assert entries[1].object_ids == [str(school.students[0].pk)]
    assert entries[2].user.username == "teacher" and entries[2].api_key is None
    assert entries[0].path == STUDENTS and entries[0].method == "GET"


def test_refused_and_empty_reads_log_nothing(school, callers):
    callers["anonymous"].get(STUDENTS)
    callers["staff_no_role"].get(RESULTS)
    callers["other_school"].get(RESULTS)  # its class has no results

    assert AccessLogEntry.objects.count() == 0


def test_another_schools_key_sees_only_its_own_students(school, callers):
    response = callers["other_school"].get(STUDENTS)

    assert [s["public_id"] for s in response.json()["results"]] == [school.other_student.public_id]
    assert (
        callers["other_school"].get(f"{STUDENTS}{school.students[0].public_id}/").status_code == 404
    )
    result = ExamResult.objects.filter(student=school.students[0]).get()
    assert callers["other_school"].get(f"{RESULTS}{result.pk}/").status_code == 404


def test_results_list_filters_and_query_count(school, callers, django_assert_max_num_queries):
    exam = ExamFactory()
    for student in school.students:
        ExamResult.objects.create(
            student=student, exam=exam, cohort=school.cohort, score=Decimal("600")
        )

    with django_assert_max_num_queries(12):
        response = callers["school"].get(RESULTS, {"exam": exam.code, "page_size": 100})

    assert response.json()["count"] == 6


def test_restricted_lists_make_the_same_queries_at_any_page_size(
    school, callers, django_assert_max_num_queries
):
    from tests.api_utils import assert_constant_queries

    def grow(n):
        while ExamResult.objects.filter(cohort=school.cohort).count() < n:
            student = EnrolmentFactory(cohort=school.cohort).student
            ExamResult.objects.create(
                student=student, exam=school.exam, cohort=school.cohort, score=Decimal("500")
            )

    for url in (STUDENTS, RESULTS):
        assert_constant_queries(
            callers["education_staff"], url, grow, django_assert_max_num_queries, most=12
        )


def test_every_page_of_cohorts_publishes_the_intakes_their_programmes_summaries_do(
    settings, django_assert_num_queries
):
    settings.EDUCATION_MIN_GROUP_SIZE = 5
    # Two programmes whose small cohorts are withheld, one of them (7) only because with the
    # total it would reveal the small one (differencing); a cohort with no enrolment gives its
    # reported intake.
    wide, narrow = SponsoredProgrammeFactory(), SponsoredProgrammeFactory()
    for programme, sizes in ((wide, (3, 7, 40)), (narrow, (12, 0))):
        for year, size in zip((2021, 2022, 2023), sizes, strict=False):
            cohort = CohortFactory(programme=programme, intake_year=year, reported_intake=30)
            for _ in range(size):
                EnrolmentFactory(cohort=cohort)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    url = "/api/v1/education/cohorts/"
    published = {row["id"]: row for row in client.get(url, {"page_size": 100}).json()["results"]}
    assert [
        (row["intake"], row["intake_suppressed"] and row["intake_suppressed"]["code"])
        for row in published.values()
    ] == [
        (None, "small-group"),
        (None, "differencing"),
        (40, None),
        (12, None),
        (30, None),
    ]

    # Pages that cut a programme's cohorts, or a filter that leaves some out, publish the same.
    for query in (
        {"page_size": 2},
        {"page_size": 2, "page": 2},
        {"page_size": 1, "page": 2},
        {"intake_year": 2022},
        {"programme": narrow.code},
    ):
        for row in client.get(url, query).json()["results"]:
            assert row == published[row["id"]], query
    for cohort_id, row in published.items():
        assert client.get(f"{url}{cohort_id}/").json() == row
    # A page that holds every cohort of its programmes reads nothing more.
    with django_assert_num_queries(1):
        client.get(url, {"page_size": 100})


def test_each_sponsored_programme_in_the_list_is_written_as_its_own_page_writes_it():
    # With both reported figures (one 'over N', its source in one language), with one, none.
    def figure(programme, code, value, qualifier="", **source):
        return ReportedFigure.objects.create(
            programme=programme.pairing,
            code=code,
            label=code,
            value=Decimal(value),
            qualifier=qualifier,
            as_of=datetime.date(2024, 1, 1),
            **{"source_zh_hans": "报告", "source_en": "Report", **source},
        )

    both, one, _none = (SponsoredProgrammeFactory() for _ in range(3))
    both.investment = figure(both, "invested", "12500000.50", "over", source_en="")
    both.enrolled = figure(both, "enrolled", "2040")
    both.save()
    one.enrolled = figure(one, "enrolled-one", "45")
    one.save()

    compared = assert_each_row_is_its_own_page(
        Client(),
        "/api/v1/education/programmes/",
        lambda row: f"/api/v1/education/programmes/{row['id']}/",
    )

    assert compared == 6


def test_cohort_list_makes_the_same_queries_at_any_page_size(
    school, callers, django_assert_max_num_queries
):
    from tests.api_utils import assert_constant_queries
    from tests.education.factories import CohortFactory

    def grow(n):
        taken = set(school.programme.cohorts.values_list("intake_year", flat=True))
        free = (year for year in range(2000, 2101) if year not in taken)
        while Cohort.objects.count() < n:
            CohortFactory(programme=school.programme, intake_year=next(free))

    assert_constant_queries(
        callers["anonymous"],
        "/api/v1/education/cohorts/",
        grow,
        django_assert_max_num_queries,
        most=8,
    )


def test_the_programme_gives_the_reported_enrolment(client, demo_data):
    (programme,) = client.get("/api/v1/education/programmes/").json()["results"]

    assert programme["enrolled"] == 310
    assert programme["enrolled_source"].startswith("改革网")
    english = client.get("/api/v1/education/programmes/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert english["results"][0]["enrolled_source"].startswith("China Reform Net")
