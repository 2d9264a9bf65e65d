"""Inspections and rectification: a finding is rectified with evidence and closed by another
reviewer; an overdue finding shows on the project's page, in the admin's project list and on the
desk; the public sees counts and dates, never a finding's text until staff publish it; the API
gives the details to staff and to keys granted inspections:read, on their own projects."""

import datetime
import re

import pytest
from django.contrib.auth.models import Group, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone, translation

from api.capabilities import INSPECTIONS_READ
from api.keys import issue_api_key
from core.exceptions import Conflict
from projects import services
from projects.models import Finding
from tests.factories import (
    FindingFactory,
    InspectionFactory,
    OrganisationFactory,
    ParticipantFactory,
    ProjectFactory,
)

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
SECRET = "Retaining wall cracked near the school gate"


@pytest.fixture(autouse=True)
def _in_english():
    # The services' messages; the pages and the API follow each request's language.
    with translation.override("en"):
        yield


def staff_in(*groups: str, username: str) -> User:
    user = User.objects.create_user(username, is_staff=True)
    for name in groups:
        user.groups.add(Group.objects.get(name=name))
    return User.objects.get(pk=user.pk)  # no cached permissions


@pytest.fixture
def overdue():
    project = ProjectFactory(code="INSP-1")
    inspection = InspectionFactory(project=project, date=TODAY - datetime.timedelta(days=60))
    return FindingFactory(
        inspection=inspection, text=SECRET, deadline=TODAY - datetime.timedelta(days=1)
    )


def text_of(response) -> str:
    assert response.status_code == 200
    return re.sub(r"\s+", " ", response.content.decode())


# The four-eyes rule


def test_the_person_who_rectified_a_finding_cannot_close_it(overdue):
    both = staff_in("Programme staff", "Inspection reviewer", username="both")
    reviewer = staff_in("Inspection reviewer", username="reviewer")
    services.finding_rectify(finding=overdue, user=both, rectification="Wall rebuilt.")

    with pytest.raises(Conflict, match="another reviewer"):
        services.finding_close(finding=overdue, user=both)
    overdue.refresh_from_db()
    assert overdue.closed_at is None

    services.finding_close(finding=overdue, user=reviewer)
    overdue.refresh_from_db()
    assert overdue.closed_by == reviewer and overdue.closed_at is not None
    assert not overdue.overdue


def test_the_database_refuses_a_closure_by_the_rectifier(overdue):
    user = staff_in("Programme staff", username="staff")
    services.finding_rectify(finding=overdue, user=user, rectification="Wall rebuilt.")

    with pytest.raises(IntegrityError, match="finding_closed_by_another"), transaction.atomic():
        Finding.objects.filter(pk=overdue.pk).update(closed_at=timezone.now(), closed_by=user)


def test_a_finding_is_closed_only_after_rectification_and_only_by_a_reviewer(overdue):
    reviewer = staff_in("Inspection reviewer", username="reviewer")
    inspector = staff_in("Inspector", username="inspector")

    with pytest.raises(Conflict, match="rectified"):
        services.finding_close(finding=overdue, user=reviewer)
    services.finding_rectify(finding=overdue, user=inspector, rectification="Wall rebuilt.")
    with pytest.raises(PermissionDenied):
        services.finding_close(finding=overdue, user=staff_in("Programme staff", username="s"))
    overdue.refresh_from_db()
    assert overdue.closed_at is None


# Where an overdue finding shows


def test_an_overdue_finding_is_flagged_on_the_public_page_without_its_text(overdue):
    page = text_of(Client().get("/en/projects/INSP-1/"))

    assert re.search(r'data-fact="inspections">1 time, last on', page)
    assert "0 of 1 finding closed" in page
    assert "1 finding is still open past its rectification deadline" in page
    assert SECRET not in page


def test_a_published_finding_shows_its_text_and_a_closed_one_its_date(overdue):
    rectifier = staff_in("Programme staff", username="staff")
    reviewer = staff_in("Inspection reviewer", username="reviewer")
    services.finding_rectify(finding=overdue, user=rectifier, rectification="Wall rebuilt.")
    services.finding_close(finding=overdue, user=reviewer)
    Finding.objects.filter(pk=overdue.pk).update(published=True)

    page = text_of(Client().get("/en/projects/INSP-1/"))

    assert "1 of 1 finding closed, the last on" in page
    assert "past its rectification deadline" not in page
    assert SECRET in page
    assert "Wall rebuilt." not in page  # the rectification stays with staff


def test_the_chinese_page_says_it_in_chinese(overdue):
    page = text_of(Client().get("/projects/INSP-1/"))

    assert "1 个问题中已销号 0 个" in page
    assert "1 个问题已过整改期限仍未销号" in page


def test_an_overdue_finding_is_in_the_admin_project_list_and_its_filter(overdue, client):
    ProjectFactory(code="INSP-CLEAN")
    client.force_login(staff_in("Programme staff", username="staff"))

    flagged = text_of(client.get("/en/admin/projects/project/", {"overdue_findings": "yes"}))
    clean = text_of(client.get("/en/admin/projects/project/", {"overdue_findings": "no"}))

    assert "INSP-1" in flagged and "INSP-CLEAN" not in flagged
    assert "INSP-CLEAN" in clean and "INSP-1" not in clean
    assert re.search(r'<td class="field-overdue_findings">1</td>', flagged)


def test_an_overdue_finding_is_on_the_desk_of_who_rectifies_it(overdue, client):
    client.force_login(staff_in("Programme staff", username="staff"))

    page = text_of(client.get("/en/admin/desk/"))

    assert "Inspection findings past their rectification deadline" in page
    assert f"/en/admin/projects/finding/{overdue.pk}/change/" in page


def test_staff_rectify_in_the_admin_and_a_reviewer_closes_with_the_action(overdue, client):
    rectifier = staff_in("Programme staff", username="staff")
    client.force_login(rectifier)
    url = f"/en/admin/projects/finding/{overdue.pk}/change/"
    form = {
        "inspection": overdue.inspection_id,
        "text": "Nothing was wrong",  # read-only to who rectifies: ignored
        "severity": "minor",
        "deadline": overdue.deadline.isoformat(),
        "rectification": "Wall rebuilt with a drain.",
    }
    response = client.post(url, form)
    assert response.status_code == 302, response.content.decode()[:3000]
    overdue.refresh_from_db()
    assert overdue.rectified_by == rectifier and overdue.rectification.endswith("drain.")
    assert overdue.text == SECRET

    # The rectifier has no close action; the reviewer has it.
    changelist = "/en/admin/projects/finding/"
    action = {"action": "close", "_selected_action": [overdue.pk]}
    client.post(changelist, action)
    overdue.refresh_from_db()
    assert overdue.closed_at is None
    client.force_login(staff_in("Inspection reviewer", username="reviewer"))
    client.post(changelist, action)
    overdue.refresh_from_db()
    assert overdue.closed_at is not None


# The API


def key_client(organisation, capabilities=()):
    granter = staff_in("Auditor", "Inspector", username=f"granter-{organisation.code}")
    raw = issue_api_key(
        organisation=organisation,
        name="inspections",
        capabilities=list(capabilities),
        granted_by=granter,
    )[1]
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}", HTTP_ACCEPT_LANGUAGE="en")


def test_anyone_reads_a_projects_inspection_counts_but_not_its_findings(overdue):
    response = Client().get("/api/v1/projects/INSP-1/inspections/")

    assert response.status_code == 200
    data = response.json()
    assert data["inspections"] == 1 and data["findings"] == 1
    assert data["closed"] == 0 and data["open"] == 1 and data["overdue"] == 1
    assert SECRET not in response.content.decode()


def test_the_details_are_refused_to_anyone_without_the_right(overdue):
    organisation = OrganisationFactory(code="builder")
    ParticipantFactory(project=overdue.inspection.project, organisation=organisation)
    officer = Client()
    officer.force_login(staff_in("Finance officer", username="officer"))

    assert Client().get("/api/v1/inspections/").status_code == 401
    response = key_client(organisation).get("/api/v1/inspections/")
    assert response.status_code == 403
    assert response.json()["capability"] == INSPECTIONS_READ
    assert officer.get("/api/v1/inspections/").status_code == 403


def test_a_key_with_the_capability_reads_its_own_projects_inspections_only(overdue):
    organisation = OrganisationFactory(code="builder")
    ParticipantFactory(project=overdue.inspection.project, organisation=organisation)
    other = FindingFactory(text="Another project's finding")
    reader = key_client(organisation, [INSPECTIONS_READ])

    response = reader.get("/api/v1/inspections/")

    assert response.status_code == 200
    (inspection,) = response.json()["results"]
    assert inspection["project"] == "INSP-1"
    assert inspection["findings"][0]["text"] == SECRET
    assert inspection["findings"][0]["overdue"] is True
    assert reader.get(f"/api/v1/inspections/{other.inspection_id}/").status_code == 404


def test_staff_who_may_view_inspections_read_every_one(overdue):
    FindingFactory()
    auditor = Client()
    auditor.force_login(staff_in("Auditor", username="auditor"))

    response = auditor.get("/api/v1/inspections/")

    assert response.status_code == 200
    assert response.json()["count"] == 2


def test_the_capability_is_granted_only_by_staff_who_may_view_inspections():
    organisation = OrganisationFactory(code="builder")
    finance = staff_in("Finance approver", username="finance")

    with pytest.raises(ValidationError, match="Only staff who may view inspections may grant"):
        issue_api_key(
            organisation=organisation, name="x", capabilities=[INSPECTIONS_READ], granted_by=finance
        )
    issue_api_key(
        organisation=organisation,
        name="y",
        capabilities=[INSPECTIONS_READ],
        granted_by=staff_in("Inspector", username="inspector"),
    )


def test_the_demos_inspection_is_illustrative_with_its_finding_closed(demo_data):
    finding = Finding.objects.select_related("inspection__project").get()
    assert finding.inspection.illustrative and finding.closed_at is not None

    page = text_of(Client().get(f"/en/projects/{finding.inspection.project.code}/"))

    assert "1 of 1 finding closed" in page
    assert "An inspection here is illustrative" in page
    assert finding.text not in page
