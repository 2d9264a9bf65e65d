"""A school's class with six synthetic students, another school's class, and every kind of
caller."""

from dataclasses import dataclass

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from api.keys import issue_api_key
from education import services
from tests.education.factories import (
    CohortFactory,
    EnrolmentFactory,
    ExamFactory,
    SponsoredProgrammeFactory,
    enrol_with_results,
)
from tests.factories import OrganisationFactory, ProgrammeFactory


@dataclass
class School:
    programme: object
    cohort: object
    exam: object
    students: list
    other_programme: object
    other_student: object
    keys: dict


@pytest.fixture
def school(db):
    pairing = ProgrammeFactory(code="hz-sn")
    host = OrganisationFactory(code="school-a")
    other_host = OrganisationFactory(code="school-b")
    programme = SponsoredProgrammeFactory(pairing=pairing, host_school=host, code="class-a")
    cohort = CohortFactory(programme=programme, intake_year=2020)
    exam = ExamFactory(code="zk-2023")
    students = enrol_with_results(
        cohort, exam, [600, 650, 700, 750, 800, 850], ranks=[90, 80, 70, 3, 2, 1]
    )
    other_programme = SponsoredProgrammeFactory(
        pairing=pairing, host_school=other_host, code="class-z"
    )
    other_student = EnrolmentFactory(
        cohort=CohortFactory(programme=other_programme, intake_year=2021)
    ).student
    keys = {
        "school": issue_api_key(organisation=host, name="A", capabilities=["education:results"])[1],
        "school_read": issue_api_key(organisation=host, name="A read")[1],
        "other_school": issue_api_key(
            organisation=other_host, name="B", capabilities=["education:results"]
        )[1],
    }
    return School(programme, cohort, exam, students, other_programme, other_student, keys)


@pytest.fixture
def released(school):
    """The school's class with its six results released, as the public sees them."""
    return services.release_results(cohort=school.cohort, exam=school.exam, released_by=None)


def staff_client(username: str, group: str | None) -> Client:
    user = User.objects.create_user(username, is_staff=True)
    if group:
        user.groups.add(Group.objects.get(name=group))
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def callers(school):
    return {
        "anonymous": Client(),
        "other_school": Client(HTTP_AUTHORIZATION=f"Bearer {school.keys['other_school']}"),
        "school": Client(HTTP_AUTHORIZATION=f"Bearer {school.keys['school']}"),
        "staff_no_role": staff_client("newcomer", None),
        "programme_staff": staff_client("editor", "Programme staff"),
        "education_staff": staff_client("teacher", "Education staff"),
    }
