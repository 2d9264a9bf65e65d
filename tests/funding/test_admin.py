"""The ledger in the admin: writes through the services, read-only posted entries, reversal and
approval actions, totals rows, the finance roles."""

import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings as settings_module
from django.contrib import admin
from django.contrib.auth.models import Group, User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from simple_history.models import HistoricalChanges

from api.keys import issue_api_key
from funding import services
from funding.models import Approval, ClosedPeriod, LedgerEntry, NotePublication, ProjectFunding
from tests.factories import (
    OrganisationFactory,
    ParticipantFactory,
    ProgrammeFactory,
    ProjectFactory,
)

pytestmark = pytest.mark.django_db

DAY = datetime.date(2024, 3, 1)
ARRIVAL, DISBURSEMENT = LedgerEntry.Type.INCOMING_FUNDS, LedgerEntry.Type.DISBURSEMENT
LIST = "/en/admin/funding/ledgerentry/"
ADD = "/en/admin/funding/ledgerentry/add/"


def staff_in(group_name: str, username: str | None = None) -> User:
    user = User.objects.create_user(username or group_name.replace(" ", "-"), is_staff=True)
    user.groups.add(Group.objects.get(name=group_name))
    return user


def record(project, type, amount, **kwargs):
    return services.record_entry(
        project=project, type=type, date=kwargs.pop("date", DAY), amount=Decimal(amount), **kwargs
    )


def entry_form(project, type, amount, **overrides):
    return {
        "project": project.pk,
        "type": type,
        "date": "2024-03-01",
        "amount": amount,
        "provider": "",
        "receiver": "",
        "voucher": "",
        "note": "",
        **overrides,
    }


def sums(response) -> list[Decimal]:
    return [value for _label, value in response.context["list_totals"]]


def money(*amounts: str) -> list[Decimal]:
    return [Decimal(amount) for amount in amounts]


def totals(project):
    return ProjectFunding.objects.get(project=project)


def test_a_finance_officer_records_an_arrival_and_a_disbursement_through_the_add_form(client):
    project = ProjectFactory()
    payer, payee = OrganisationFactory(), OrganisationFactory()
    officer = staff_in("Finance officer")
    client.force_login(officer)

    arrival = client.post(
        ADD, entry_form(project, ARRIVAL, "1000.50", provider=payer.pk, voucher="杭财-001")
    )
    disbursement = client.post(
        ADD, entry_form(project, DISBURSEMENT, "400", provider=payer.pk, receiver=payee.pk)
    )

    assert arrival.status_code == 302, arrival.content.decode()[:2000]
    assert disbursement.status_code == 302
    entries = LedgerEntry.objects.order_by("id")
    assert [(e.type, e.amount, e.recorded_by) for e in entries] == [
        (ARRIVAL, Decimal("1000.50"), officer),
        (DISBURSEMENT, Decimal("400"), officer),
    ]
    assert entries[0].voucher == "杭财-001" and entries[1].receiver == payee
    assert (totals(project).arrived, totals(project).disbursed) == (
        Decimal("1000.50"),
        Decimal("400"),
    )


def test_a_disbursement_beyond_arrivals_is_a_form_error_and_writes_nothing(client):
    project = ProjectFactory(code="HZ-FORM")
    record(project, ARRIVAL, "1000")
    client.force_login(staff_in("Finance officer"))

    response = client.post(ADD, entry_form(project, DISBURSEMENT, "1000.01"))

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "1,000.00 CNY of the funds arrived for HZ-FORM" in errors["amount"][0]
    assert "reason" not in response.context["adminform"].form.fields  # not this role's to give
    assert LedgerEntry.objects.count() == 1
    assert totals(project).disbursed == Decimal("0")
    assert not admin.models.LogEntry.objects.exists()


def test_an_approver_may_go_beyond_arrivals_with_a_reason_and_it_is_flagged(client):
    project = ProjectFactory()
    record(project, ARRIVAL, "100")
    client.force_login(staff_in("Finance approver"))

    response = client.post(ADD, entry_form(project, DISBURSEMENT, "150", reason="省级资金在途"))

    assert response.status_code == 302
    entry = LedgerEntry.objects.get(type=DISBURSEMENT)
    assert entry.beyond_arrivals and entry.reason == "省级资金在途"
    assert "beyond arrivals</strong>: 省级资金在途" in client.get(LIST).content.decode()


def test_a_posted_entry_cannot_be_changed_or_deleted_through_the_admin(client):
    project = ProjectFactory()
    entry = record(project, ARRIVAL, "1000", voucher="V-1")
    change = f"{LIST}{entry.pk}/change/"
    for user in (staff_in("Finance approver"), User.objects.create_superuser("root")):
        client.force_login(user)

        page = client.get(change)

        assert page.status_code == 200
        html = page.content.decode()
        assert 'name="_save"' not in html and 'name="_continue"' not in html
        assert "V-1" in html
        assert client.post(change, entry_form(project, ARRIVAL, "1")).status_code == 403
        assert client.get(f"{LIST}{entry.pk}/delete/").status_code == 403
        assert client.post(f"{LIST}{entry.pk}/delete/", {"post": "yes"}).status_code == 403
        assert "delete_selected" not in client.get(LIST).content.decode()

    entry.refresh_from_db()
    assert entry.amount == Decimal("1000") and LedgerEntry.objects.count() == 1


def test_the_reverse_action_asks_for_a_reason_and_creates_the_reversal(client):
    project = ProjectFactory()
    record(project, ARRIVAL, "1000")
    entry = record(project, DISBURSEMENT, "400")
    client.force_login(staff_in("Finance officer"))
    chosen = {"action": "reverse_selected", "_selected_action": [entry.pk]}

    asked = client.post(LIST, {**chosen, "index": "0"})
    without_reason = client.post(LIST, {**chosen, "reason": " "})

    assert asked.status_code == 200 and 'name="reason"' in asked.content.decode()
    assert without_reason.status_code == 200 and without_reason.context["form"].errors
    assert LedgerEntry.objects.count() == 2

    done = client.post(LIST, {**chosen, "reason": "凭证号录错"}, follow=True)

    reversal = LedgerEntry.objects.get(reverses=entry)
    assert reversal.reason == "凭证号录错" and reversal.amount == Decimal("400")
    assert totals(project).disbursed == Decimal("0")
    assert f"reversed by entry #{reversal.pk}" in done.content.decode()
    again = client.post(LIST, {**chosen, "reason": "again"}, follow=True)
    assert "already been reversed" in again.content.decode()
    assert LedgerEntry.objects.count() == 3


def test_a_second_user_approves_a_large_disbursement_with_the_action(client, settings):
    project = ProjectFactory()
    record(project, ARRIVAL, "1000")
    settings.FUNDING_APPROVAL_THRESHOLD = "500"
    approver, other = staff_in("Finance approver"), staff_in("Finance approver", "other-approver")
    client.force_login(approver)
    client.post(ADD, entry_form(project, DISBURSEMENT, "800"))
    entry = LedgerEntry.objects.get(type=DISBURSEMENT)
    assert entry.needs_approval and totals(project).pending == Decimal("800")
    assert "awaiting approval" in client.get(LIST).content.decode()
    approve = {
        "action": "approve_selected",
        "_selected_action": [entry.pk],
        "index": "0",
        "confirmed": "yes",
    }
    asked = client.post(LIST, {**approve, "confirmed": ""})
    changes = asked.content.decode()
    assert asked.status_code == 200 and 'name="confirmed" value="yes"' in changes
    assert "<td>0.00</td><td>800.00</td>" in changes  # disbursed, now and after
    assert "<td>800.00</td><td>0.00</td>" in changes  # awaiting approval, now and after
    assert not Approval.objects.exists()

    own = client.post(LIST, approve, follow=True)
    assert "approved by someone other than who recorded it" in own.content.decode()
    client.force_login(staff_in("Finance officer"))
    assert "approve_selected" not in client.get(LIST).content.decode()
    client.post(LIST, approve)
    assert not Approval.objects.exists()

    client.force_login(other)
    done = client.post(LIST, approve, follow=True)

    assert Approval.objects.get().approved_by == other
    assert (totals(project).disbursed, totals(project).pending) == (Decimal("800"), Decimal("0"))
    assert "approved." in done.content.decode()
    assert "approved by other-approver" in client.get(LIST).content.decode()


def test_the_totals_row_sums_the_filtered_entries_net_of_reversals(client):
    programme = ProgrammeFactory()
    project, elsewhere = ProjectFactory(programme=programme), ProjectFactory()
    record(project, ARRIVAL, "1000.10")
    mistake = record(project, DISBURSEMENT, "300")
    record(project, DISBURSEMENT, "250.05")
    record(project, LedgerEntry.Type.EXPENDITURE, "99.99")
    services.reverse_entry(entry=mistake, reason="重复录入")
    record(elsewhere, ARRIVAL, "5000")
    client.force_login(staff_in("Finance officer"))

    response = client.get(LIST, {"project__programme__id__exact": programme.pk})

    # arrived, disbursed, spent, awaiting approval
    assert sums(response) == money("1000.10", "250.05", "99.99", "0")
    assert "1,000.10" in response.content.decode()
    assert sums(client.get(LIST)) == money("6000.10", "250.05", "99.99", "0")
    assert sums(client.get(LIST, {"type__exact": DISBURSEMENT})) == money("0", "250.05", "0", "0")
    assert sums(client.get(LIST, {"q": "nothing matches this"})) == money("0", "0", "0", "0")


def test_the_project_page_shows_its_ledger_read_only(client):
    project = ProjectFactory()
    record(project, ARRIVAL, "1000", voucher="杭财-7")
    disbursement = record(project, DISBURSEMENT, "400")
    services.reverse_entry(entry=disbursement, reason="退回")
    client.force_login(staff_in("Finance officer"))

    response = client.get(f"/en/admin/projects/project/{project.pk}/change/")

    assert response.status_code == 200
    inlines = {formset.opts.model: formset for formset in response.context["inline_admin_formsets"]}
    ledger = inlines[LedgerEntry]
    assert len(ledger.formset.forms) == 3
    assert not ledger.has_add_permission and not ledger.has_delete_permission
    assert not ledger.has_change_permission
    assert ProjectFunding in inlines
    html = response.content.decode()
    reversal = disbursement.reversed_by
    assert "杭财-7" in html
    assert f"#{reversal.pk} reverses <a" in html and f">#{disbursement.pk}</a>: 退回" in html
    assert f"#{disbursement.pk} reversed by <a" in html
    assert "1,000.00" in html
    assert 'name="ledger_entries-0-amount"' not in html


def test_the_finance_roles_hold_what_they_should():
    officer, approver = staff_in("Finance officer"), staff_in("Finance approver")
    auditor = staff_in("Auditor")

    assert officer.has_perms(["funding.add_ledgerentry", "funding.change_budgetline"])
    assert not officer.has_perm("funding.change_ledgerentry")
    assert not officer.has_perm("funding.record_beyond_arrivals")
    assert not officer.has_perm("funding.approve_disbursement")
    assert approver.has_perms(
        [
            "funding.add_ledgerentry",
            "funding.record_beyond_arrivals",
            "funding.approve_disbursement",
        ]
    )
    assert auditor.has_perms(["funding.view_ledgerentry", "funding.view_donation"])
    assert not auditor.has_perm("funding.add_ledgerentry")
    assert not Group.objects.get(name="Programme staff").permissions.filter(
        content_type__app_label="funding"
    )


def test_every_funding_model_is_in_the_admin_and_its_list_opens(client):
    from django.apps import apps

    client.force_login(User.objects.create_superuser("root"))
    for model in apps.get_app_config("funding").get_models():
        if issubclass(model, HistoricalChanges):
            continue  # a record's change history opens from its own page (History)
        assert model in admin.site._registry, model
        url = f"/admin/funding/{model._meta.model_name}/"
        assert client.get(url).status_code == 200, url


def test_the_ledger_list_makes_the_same_number_of_queries_for_more_rows(client, settings):
    approver = staff_in("Finance approver")
    client.force_login(User.objects.create_superuser("root"))

    def build(count):
        project = ProjectFactory()
        settings.FUNDING_APPROVAL_THRESHOLD = "100000"
        record(project, ARRIVAL, "100000", provider=OrganisationFactory())
        settings.FUNDING_APPROVAL_THRESHOLD = "500"
        for n in range(count - 3):
            record(project, DISBURSEMENT, "10", receiver=OrganisationFactory(), voucher=f"V{n}")
        large = record(project, DISBURSEMENT, "600")
        services.approve_disbursement(entry=large, approved_by=approver)
        services.reverse_entry(entry=large, reason="x")

    counts = []
    for rows, more in ((5, 5), (25, 20)):
        build(more)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(LIST)
        assert response.status_code == 200
        assert response.context["cl"].result_count == rows
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


@pytest.mark.parametrize("date", ["9999-12-31", "1295-11-30"])
def test_the_admin_refuses_a_date_outside_the_programme_on_the_date_field(client, date):
    project = ProjectFactory()
    client.force_login(staff_in("Finance officer"))

    response = client.post(ADD, entry_form(project, ARRIVAL, "1000", date=date))

    assert response.status_code == 200
    assert "date" in response.context["adminform"].form.errors
    assert not LedgerEntry.objects.exists()


def test_a_large_arrival_in_the_admin_waits_for_a_second_person(client):
    project = ProjectFactory(planned_investment=Decimal("10000000"))
    client.force_login(staff_in("Finance officer"))

    client.post(ADD, entry_form(project, ARRIVAL, "6000000"))

    entry = LedgerEntry.objects.get()
    assert entry.needs_approval
    assert ProjectFunding.objects.get(project=project).arrived == 0
    approver = staff_in("Finance approver")
    client.force_login(approver)
    client.post(
        LIST, {"action": "approve_selected", "_selected_action": [entry.pk], "confirmed": "yes"}
    )
    assert ProjectFunding.objects.get(project=project).arrived == Decimal("6000000")


def test_finance_staff_publish_a_partners_note_with_the_action(client):
    project = ProjectFactory()
    partner = OrganisationFactory()
    ParticipantFactory(project=project, organisation=partner, role="funding")
    approver = staff_in("Finance approver")
    key, _raw = issue_api_key(
        organisation=partner, name="k", capabilities=["funding:entries"], granted_by=approver
    )
    entry = record(project, ARRIVAL, "10", note="联系人：张三", recorded_by_key=key)

    client.force_login(staff_in("Programme staff"))
    client.post(LIST, {"action": "publish_notes", "_selected_action": [entry.pk]})
    assert not NotePublication.objects.exists()  # no such action for them

    client.force_login(staff_in("Finance officer"))
    listing = client.get(LIST).content.decode()
    assert "note not public" in listing
    client.post(LIST, {"action": "publish_notes", "_selected_action": [entry.pk]})

    publication = NotePublication.objects.get()
    assert (publication.entry, publication.published_by.username) == (entry, "Finance-officer")
    assert "note not public" not in client.get(LIST).content.decode()


def test_the_entry_form_shows_the_projects_figures_before_saving(client, settings):
    project = ProjectFactory(code="HZ-FIG", planned_investment=Decimal("303760000"))
    record(project, ARRIVAL, "400000")
    record(project, ARRIVAL, "300000")
    record(project, DISBURSEMENT, "150000")
    record(project, DISBURSEMENT, "100000")
    settings.FUNDING_APPROVAL_THRESHOLD = "50000"
    record(project, DISBURSEMENT, "60000")  # reserved until approved
    client.force_login(staff_in("Finance officer"))

    opened = client.get(ADD, {"project": project.pk}).content.decode()
    refused = client.post(ADD, entry_form(project, DISBURSEMENT, "999999"))

    for html in (opened, refused.content.decode()):
        figures = html[html.index("data-project-figures") :]
        figures = figures[: figures.index("</table>")]
        for amount in ("303,760,000.00", "700,000.00", "250,000.00", "60,000.00", "390,000.00"):
            assert amount in figures
    assert "Open this form from a project" in client.get(ADD).content.decode()


def test_money_is_grouped_across_the_admin_and_the_totals_caption_is_readable(client):
    project = ProjectFactory(planned_investment=Decimal("303760000"))
    entry = record(project, ARRIVAL, "3037600.50")
    client.force_login(User.objects.create_superuser("root"))

    posted = client.get(f"{LIST}{entry.pk}/change/").content.decode()
    projects = client.get("/en/admin/projects/project/").content.decode()
    projects_in_chinese = client.get("/admin/projects/project/").content.decode()
    css = (Path(settings_module.BASE_DIR) / "funding/static/funding/admin.css").read_text()

    assert "3,037,600.50" in posted and "3037600.50" not in posted
    assert "303,760,000.00" in projects and "303760000.00" not in projects
    assert "303,760,000.00" in projects_in_chinese and "303760000.00" not in projects_in_chinese
    rule = css[css.index(".funding-totals caption {") :]
    rule = rule[: rule.index("}")]
    assert "background: none" in rule and "color: var(--body-fg)" in rule


def test_a_reversal_is_dated_the_day_it_is_recorded_or_a_chosen_later_day(client):
    project = ProjectFactory()
    record(project, ARRIVAL, "1000")
    first, second, third = (record(project, DISBURSEMENT, "100") for _ in range(3))
    client.force_login(staff_in("Finance officer"))

    def reverse(entry, **form):
        return client.post(
            LIST,
            {"action": "reverse_selected", "_selected_action": [entry.pk], **form},
            follow=True,
        )

    asked = client.post(LIST, {"action": "reverse_selected", "_selected_action": [first.pk]})
    assert asked.context["form"]["date"].value() == timezone.localdate()
    reverse(first, reason="录错", date=timezone.localdate().isoformat())
    reverse(second, reason="录错", date="2024-06-30")
    early = reverse(third, reason="录错", date="2024-02-01")

    assert LedgerEntry.objects.get(reverses=first).date == timezone.localdate()
    assert LedgerEntry.objects.get(reverses=second).date == datetime.date(2024, 6, 30)
    assert "cannot be dated before the entry it reverses" in early.content.decode()
    assert not LedgerEntry.objects.filter(reverses=third).exists()
    assert services.reverse_entry(entry=third, reason="API").date == timezone.localdate()
    assert totals(project).disbursed == Decimal("0")


def test_an_arrival_above_the_planned_investment_asks_for_confirmation_and_a_reason(client):
    project = ProjectFactory(code="HZ-PLAN", planned_investment=Decimal("3600000"))
    record(project, ARRIVAL, "1000000")
    client.force_login(staff_in("Finance officer"))

    asked = client.post(ADD, entry_form(project, ARRIVAL, "3000000"))
    form = asked.context["adminform"].form
    unconfirmed = client.post(
        ADD, entry_form(project, ARRIVAL, "3000000", beyond_plan_reason="追加资金")
    )
    done = client.post(
        ADD,
        entry_form(
            project, ARRIVAL, "3000000", confirm_beyond_plan="on", beyond_plan_reason="追加资金"
        ),
    )

    assert (
        "above its planned investment of 3,600,000.00 CNY" in form.errors["beyond_plan_reason"][0]
    )
    assert {"confirm_beyond_plan", "beyond_plan_reason"} <= set(form.fields)
    assert "confirm_beyond_plan" in unconfirmed.context["adminform"].form.errors
    assert done.status_code == 302
    entry = LedgerEntry.objects.get(amount=Decimal("3000000"))
    assert entry.reason == "追加资金" and totals(project).arrived == Decimal("4000000")
    assert "above the planned investment</strong>: 追加资金" in client.get(LIST).content.decode()
    assert "confirm_beyond_plan" not in client.get(ADD).context["adminform"].form.errors


def test_a_finance_approver_closes_a_year_and_entries_dated_in_it_are_refused(client):
    project = ProjectFactory()
    original = record(project, ARRIVAL, "1000", date=datetime.date(2023, 5, 1))
    officer, approver = staff_in("Finance officer"), staff_in("Finance approver")
    closing = {"programme": project.programme.pk, "year": "2023"}

    client.force_login(officer)
    assert client.post("/en/admin/funding/closedperiod/add/", closing).status_code == 403
    client.force_login(approver)
    this_year = {**closing, "year": str(timezone.localdate().year)}
    refused = client.post("/en/admin/funding/closedperiod/add/", this_year, follow=True)
    assert "Only a year that is over can be closed." in refused.content.decode()
    assert client.post("/en/admin/funding/closedperiod/add/", closing).status_code == 302

    closed = ClosedPeriod.objects.get()
    assert (closed.year, closed.closed_by) == (2023, approver)
    response = client.post(ADD, entry_form(project, ARRIVAL, "5", date="2023-12-31"))
    assert "The books of 2023 are closed" in response.context["adminform"].form.errors["date"][0]
    with pytest.raises(ValidationError):
        services.reverse_entry(entry=original, reason="录错", date=datetime.date(2023, 6, 1))
    assert services.reverse_entry(entry=original, reason="录错", date=datetime.date(2024, 1, 2))
    with pytest.raises(IntegrityError), transaction.atomic():
        # The trigger refuses it even when the service is bypassed.
        LedgerEntry.objects.create(
            project=project, type=ARRIVAL, date=datetime.date(2023, 7, 1), amount=Decimal("1")
        )
    other = ProjectFactory()
    assert record(other, ARRIVAL, "5", date=datetime.date(2023, 7, 1))  # another programme
