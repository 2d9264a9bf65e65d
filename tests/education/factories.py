"""Factories for the education tests. Every student is synthetic."""

import datetime
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from education.models import Cohort, Enrolment, Exam, ExamResult, SponsoredProgramme, Student
from tests.factories import OrganisationFactory, ProgrammeFactory

# Easy to spot in any response: it must never reach a public one.
CANARY = "金丝雀测试生"


class SponsoredProgrammeFactory(DjangoModelFactory):
    class Meta:
        model = SponsoredProgramme

    pairing = factory.SubFactory(ProgrammeFactory)
    code = factory.Sequence(lambda n: f"class-{n}")
    name_zh_hans = factory.Sequence(lambda n: f"援藏班{n}")
    name_en = factory.Sequence(lambda n: f"Aid class {n}")
    host_school = factory.SubFactory(OrganisationFactory)
    started_on = datetime.date(2020, 9, 15)


class CohortFactory(DjangoModelFactory):
    class Meta:
        model = Cohort

    programme = factory.SubFactory(SponsoredProgrammeFactory)
    intake_year = factory.Sequence(lambda n: 2000 + n % 100)
    grade = 7


class StudentFactory(DjangoModelFactory):
    class Meta:
        model = Student

    name = factory.Sequence(lambda n: f"{CANARY}{n}")
    gender = Student.Gender.FEMALE
    birth_date = datetime.date(2008, 3, 1)
    guardian_contact = "13800000000"
    consent_given = True


class EnrolmentFactory(DjangoModelFactory):
    class Meta:
        model = Enrolment

    student = factory.SubFactory(StudentFactory)
    cohort = factory.SubFactory(CohortFactory)
    enrolled_on = datetime.date(2020, 9, 15)


class ExamFactory(DjangoModelFactory):
    class Meta:
        model = Exam

    code = factory.Sequence(lambda n: f"exam-{n}")
    name_zh_hans = factory.Sequence(lambda n: f"中考{n}")
    name_en = factory.Sequence(lambda n: f"Zhongkao {n}")
    date = datetime.date(2023, 6, 20)
    maximum_score = Decimal("900")
    area_top_n = 30


def enrol_with_results(cohort, exam, scores, *, ranks=None, absent=0):
    """A student per score enrolled in `cohort` with that score; `absent` more who missed it."""
    ranks = ranks or [None] * len(scores)
    students = []
    for score, rank in zip(scores, ranks, strict=True):
        student = EnrolmentFactory(cohort=cohort).student
        ExamResult.objects.create(
            student=student, exam=exam, cohort=cohort, score=Decimal(str(score)), area_rank=rank
        )
        students.append(student)
    for _ in range(absent):
        student = EnrolmentFactory(cohort=cohort).student
        ExamResult.objects.create(student=student, exam=exam, cohort=cohort, absent=True)
        students.append(student)
    return students
