import datetime

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from projects.models import Project
from tests.factories import (
    MilestoneFactory,
    OrganisationFactory,
    PlaceFactory,
    PlanPeriodFactory,
    ProgrammeFactory,
    ProgressUpdateFactory,
    ProjectFactory,
    TimelineEventFactory,
)

pytestmark = pytest.mark.django_db


def staff_in(group_name: str) -> User:
    user = User.objects.create_user(
        f"{group_name[:5]}-user", password="pw-Long-enough-1", is_staff=True
    )
    user.groups.add(Group.objects.get(name=group_name))
    return user


def project_form(programme, period, **overrides):
    data = {
        "programme": programme.pk,
        "code": "HZ-NEW-01",
        "title_zh_hans": "新建项目",
        "title_en": "A new project",
        "summary_zh_hans": "",
        "summary_en": "",
        "description_zh_hans": "",
        "description_en": "",
        "field": "livelihood",
        "category": "housing",
        "plan_period": period.pk,
        "place": "",
        "status": "implementation",
        "planned_start": "2024-03-01",
        "planned_end": "2025-06-30",
        "actual_start": "",
        "actual_end": "",
        "planned_investment": "12500000.00",
        "beneficiaries": "85",
        "beneficiary_unit": "households",
        "published": "on",
        "illustrative_fields": [],
    }
    for prefix in ("participants", "milestones", "indicators", "updates", "photos"):
        data.update(
            {
                f"{prefix}-TOTAL_FORMS": "0",
                f"{prefix}-INITIAL_FORMS": "0",
                f"{prefix}-MIN_NUM_FORMS": "0",
                f"{prefix}-MAX_NUM_FORMS": "1000",
            }
        )
    data.update(overrides)
    return data


def test_programme_staff_enter_a_project_with_a_milestone_and_history_records_who(client):
    programme = ProgrammeFactory()
    period = PlanPeriodFactory(programme=programme)
    user = staff_in("Programme staff")
    client.force_login(user)
    data = project_form(
        programme,
        period,
        **{
            "milestones-TOTAL_FORMS": "1",
            "milestones-0-kind": "approval",
            "milestones-0-title_zh_hans": "",
            "milestones-0-title_en": "",
            "milestones-0-planned_date": "2024-02-01",
            "milestones-0-actual_date": "2024-02-03",
            "milestones-0-date_precision": "day",
        },
    )

    response = client.post("/admin/projects/project/add/", data)

    assert response.status_code == 302, response.content.decode()[:3000]
    project = Project.objects.get(code="HZ-NEW-01")
    assert project.title_en == "A new project"
    assert project.milestones.get().kind == "approval"
    assert project.history.get().history_user == user
    history_page = client.get(f"/admin/projects/project/{project.pk}/history/")
    assert user.username in history_page.content.decode()


def test_a_project_ending_before_it_starts_is_a_form_error_and_nothing_is_saved(client):
    programme = ProgrammeFactory()
    period = PlanPeriodFactory(programme=programme)
    client.force_login(staff_in("Programme staff"))

    response = client.post(
        "/en/admin/projects/project/add/",
        project_form(programme, period, planned_end="2023-01-01", planned_investment="-5"),
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "planned_end" in errors
    assert "planned_investment" in errors
    assert not Project.objects.exists()


def test_a_plan_period_of_another_programme_is_refused(client):
    programme = ProgrammeFactory()
    other_period = PlanPeriodFactory()
    client.force_login(staff_in("Programme staff"))

    response = client.post("/en/admin/projects/project/add/", project_form(programme, other_period))

    assert "plan_period" in response.context["adminform"].form.errors
    assert not Project.objects.exists()


def test_auditors_read_but_cannot_change(client):
    project = ProjectFactory()
    client.force_login(staff_in("Auditor"))

    assert client.get("/admin/projects/project/").status_code == 200
    assert client.get(f"/admin/projects/project/{project.pk}/history/").status_code == 200
    assert client.get("/admin/projects/project/add/").status_code == 403
    response = client.post(
        f"/admin/projects/project/{project.pk}/change/",
        project_form(project.programme, PlanPeriodFactory(programme=project.programme)),
    )
    assert response.status_code == 403
    project.refresh_from_db()
    assert project.code != "HZ-NEW-01"


def test_admin_is_chinese_by_default_and_english_at_en(client):
    client.force_login(User.objects.create_superuser("root-user", password="pw-Long-enough-1"))

    chinese = client.get("/admin/").content.decode()
    english = client.get("/en/admin/").content.decode()

    assert 'lang="zh-hans"' in chinese and "项目" in chinese
    assert 'lang="en"' in english and "Projects" in english


def test_every_model_is_registered_in_the_admin():
    from django.apps import apps

    for label in ("reference", "projects"):
        for model in apps.get_app_config(label).get_models():
            # Histories are shown on their record's page; the project counts are the database's
            # own bookkeeping, which no one edits (check_ledger compares them).
            if model.__name__.startswith("Historical") or model.__name__ == "ProjectRollup":
                continue
            assert model in admin.site._registry, model


BUILDERS = {
    "projects/project": lambda n: [ProjectFactory(place=PlaceFactory()) for _ in range(n)],
    "projects/progressupdate": lambda n: ProgressUpdateFactory.create_batch(n),
    "projects/milestone": lambda n: MilestoneFactory.create_batch(n),
    "projects/timelineevent": lambda n: TimelineEventFactory.create_batch(
        n, project=ProjectFactory()
    ),
    "reference/organisation": lambda n: [
        OrganisationFactory(parent=OrganisationFactory()) for _ in range(n)
    ],
    "reference/place": lambda n: [
        PlaceFactory(level="township", parent=PlaceFactory()) for _ in range(n)
    ],
    "reference/planperiod": lambda n: [PlanPeriodFactory() for _ in range(n)],
}


@pytest.mark.parametrize("path", sorted(BUILDERS))
def test_admin_list_pages_make_the_same_number_of_queries_for_more_rows(client, path):
    client.force_login(User.objects.create_superuser("root-user", password="pw-Long-enough-1"))
    counts = []
    for rows in (3, 15):
        BUILDERS[path](rows)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"/admin/{path}/")
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_staff_cannot_date_an_update_in_the_future_either(client):
    import datetime

    from projects.models import ProgressUpdate

    project = ProjectFactory()
    client.force_login(staff_in("Programme staff"))
    next_month = datetime.date.today() + datetime.timedelta(days=31)

    response = client.post(
        "/en/admin/projects/progressupdate/add/",
        {
            "project": project.pk,
            "date": next_month.isoformat(),
            "title_zh_hans": "未来",
            "title_en": "Future",
            "text_zh_hans": "",
            "text_en": "",
            "organisation": "",
            "photos-TOTAL_FORMS": "0",
            "photos-INITIAL_FORMS": "0",
        },
    )

    assert "date" in response.context["adminform"].form.errors
    assert not ProgressUpdate.objects.exists()


def test_illustrative_fields_are_checkboxes_named_after_the_fields(client):
    programme = ProgrammeFactory()
    period = PlanPeriodFactory(programme=programme)
    client.force_login(staff_in("Programme staff"))

    page = client.get("/en/admin/projects/project/add/").content.decode()
    response = client.post(
        "/en/admin/projects/project/add/",
        project_form(programme, period, illustrative_fields=["planned_investment", "place"]),
    )

    assert 'type="checkbox" name="illustrative_fields" value="planned_investment"' in page
    assert "Planned investment" in page and '<textarea name="illustrative_fields"' not in page
    assert response.status_code == 302, response.context["adminform"].form.errors
    project = Project.objects.get(code="HZ-NEW-01")
    assert sorted(project.illustrative_fields) == ["place", "planned_investment"]
    refused = client.post(
        "/en/admin/projects/project/add/",
        project_form(programme, period, code="HZ-NEW-02", illustrative_fields=["secret"]),
    )
    assert "illustrative_fields" in refused.context["adminform"].form.errors


def test_a_month_precision_milestone_needs_only_the_year_and_month(client):
    programme = ProgrammeFactory()
    period = PlanPeriodFactory(programme=programme)
    client.force_login(staff_in("Programme staff"))

    def milestone(date, precision, code):
        return project_form(
            programme,
            period,
            code=code,
            **{
                "milestones-TOTAL_FORMS": "1",
                "milestones-0-kind": "approval",
                "milestones-0-title_zh_hans": "",
                "milestones-0-title_en": "",
                "milestones-0-planned_date": "",
                "milestones-0-actual_date": date,
                "milestones-0-date_precision": precision,
            },
        )

    saved = client.post("/en/admin/projects/project/add/", milestone("2024-06", "month", "HZ-M"))
    refused = client.post("/en/admin/projects/project/add/", milestone("2024-06", "day", "HZ-D"))

    assert saved.status_code == 302
    kept = Project.objects.get(code="HZ-M").milestones.get()
    assert kept.actual_date == datetime.date(2024, 6, 1) and kept.date_precision == "month"
    assert refused.status_code == 200 and not Project.objects.filter(code="HZ-D").exists()
    assert "Type this date as 2024-06-15" in refused.content.decode()
    page = client.get(f"/admin/projects/project/{Project.objects.get(code='HZ-M').pk}/change/")
    assert 'value="2024-06"' in page.content.decode()
