import pytest
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from education import selectors, services
from education.models import Enrolment, ExamResult, Student

pytestmark = pytest.mark.django_db


def test_anonymising_blanks_the_person_and_keeps_results_and_figures(school):
    student = school.students[0]
    before = selectors.exam_stats([selectors.cohorts().get(pk=school.cohort.pk)])
    staff = User.objects.create_user("clerk", is_staff=True)

    services.anonymise_student(student=student, by=staff)

    student.refresh_from_db()
    assert (student.name, student.gender, student.guardian_contact) == ("", "", "")
    assert student.birth_date is None and student.home_township is None
    assert not student.consent_given
    assert student.anonymised_at is not None and student.anonymised_by == staff
    assert ExamResult.objects.filter(student=student).count() == 1
    after = selectors.exam_stats([selectors.cohorts().get(pk=school.cohort.pk)])
    assert after == before


def test_a_student_with_results_cannot_be_deleted(school):
    with pytest.raises(ProtectedError):
        school.students[0].delete()


def test_the_database_refuses_an_anonymised_student_with_a_name(school):
    student = school.students[0]
    services.anonymise_student(student=student, by=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        Student.objects.filter(pk=student.pk).update(name="x")


def test_the_database_refuses_a_score_for_an_absent_student(school):
    result = ExamResult.objects.filter(student=school.students[0]).get()
    with pytest.raises(IntegrityError), transaction.atomic():
        ExamResult.objects.filter(pk=result.pk).update(absent=True)


def test_the_database_allows_one_current_enrolment_per_student(school):
    other = school.other_programme.cohorts.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        Enrolment.objects.create(student=school.students[0], cohort=other, enrolled_on="2021-09-01")


def test_access_log_skips_empty_reads(rf):
    assert services.log_access(request=rf.get("/"), records=[], model=Student) is None


def test_the_database_refuses_a_score_above_the_maximum(school):
    result = ExamResult.objects.filter(student=school.students[0]).get()
    with pytest.raises(IntegrityError), transaction.atomic():
        ExamResult.objects.filter(pk=result.pk).update(score=901)


def test_the_database_refuses_a_result_outside_the_students_cohort(school):
    with pytest.raises(IntegrityError), transaction.atomic():
        ExamResult.objects.create(
            student=school.other_student, exam=school.exam, cohort=school.cohort, score=500
        )


@pytest.mark.django_db(transaction=True)
def test_parallel_posts_of_one_result_record_it_once():
    import threading

    from django.core.exceptions import ValidationError
    from django.db import connection

    from tests.education.factories import EnrolmentFactory, ExamFactory

    enrolment = EnrolmentFactory()
    exam = ExamFactory()
    attempts = 8
    barrier = threading.Barrier(attempts)
    outcomes = []

    def post():
        try:
            barrier.wait(20)
            services.record_result(
                student=enrolment.student, exam=exam, cohort=enrolment.cohort, score=600
            )
            outcomes.append("ok")
        except ValidationError as error:
            outcomes.append(sorted(error.message_dict))
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert outcomes.count("ok") == 1
    assert outcomes.count(["exam"]) == attempts - 1
    assert ExamResult.objects.count() == 1
