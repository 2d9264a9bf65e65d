"""Change lists that cost the same at any size: the counting paginator, the indexed search, the
totals row above ten thousand rows, and the queries each large list makes at two sizes."""

import datetime
from decimal import Decimal

import pytest
from django.contrib import admin
from django.contrib.admin import ModelAdmin
from django.contrib.auth.models import User
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from core.changelists import EstimatedCountPaginator
from core.trigram import index_name
from funding import services
from funding.models import BudgetLine, LedgerEntry
from projects.models import Project
from tests.factories import ProgrammeFactory, ProjectFactory

pytestmark = pytest.mark.django_db

ARRIVAL = LedgerEntry.Type.INCOMING_FUNDS
LEDGER = "/en/admin/funding/ledgerentry/"


def record(project, amount, **kwargs):
    return services.record_entry(
        project=project,
        type=ARRIVAL,
        date=datetime.date(2024, 3, 1),
        amount=Decimal(amount),
        **kwargs,
    )


def superuser_request():
    request = RequestFactory().get("/")
    request.user = User(username="root", is_staff=True, is_superuser=True)
    return request


def searched(model, term):
    """The primary keys the model's admin finds for `term`, and those Django's own search finds."""
    model_admin = admin.site._registry[model]
    request = superuser_request()
    queryset = model_admin.get_queryset(request)
    ours, _ = model_admin.get_search_results(request, queryset, term)
    djangos, _ = ModelAdmin.get_search_results(model_admin, request, queryset, term)
    return set(ours.values_list("pk", flat=True)), set(djangos.values_list("pk", flat=True))


def test_the_paginator_counts_exactly_up_to_its_bound_and_estimates_above(monkeypatch):
    ProjectFactory.create_batch(5)
    monkeypatch.setattr(EstimatedCountPaginator, "exact_up_to", 5)
    assert EstimatedCountPaginator(Project.objects.all(), 2).count == 5

    ProjectFactory()
    with CaptureQueriesContext(connection) as queries:
        count = EstimatedCountPaginator(Project.objects.all(), 2).count

    assert count >= 6  # the planner's estimate, never below what was counted
    assert "LIMIT 6" in queries[0]["sql"]  # it read no more rows than its bound and one
    assert "COUNT" not in " ".join(query["sql"] for query in queries[1:])


def test_the_ledger_search_finds_what_djangos_search_finds():
    project = ProjectFactory(code="HZ-SEARCH-01", title_zh_hans="色尼区学校", title_en="A school")
    other = ProjectFactory(code="HZ-OTHER-02", title_zh_hans="医院", title_en="A hospital")
    by_project = record(project, "10")
    by_voucher = record(other, "20", voucher="杭财-学校-7")
    by_note = record(other, "30", note="school fees")
    record(other, "40", voucher="杭财-8")

    assert searched(LedgerEntry, "学校") == ({by_project.pk, by_voucher.pk},) * 2
    assert searched(LedgerEntry, "SCHOOL") == ({by_project.pk, by_note.pk},) * 2
    assert searched(LedgerEntry, "hz-search 学校") == ({by_project.pk},) * 2
    assert searched(LedgerEntry, '"A school"') == ({by_project.pk},) * 2
    assert searched(LedgerEntry, "nowhere") == (set(), set())


def test_the_project_and_budget_searches_find_what_djangos_search_finds():
    project = ProjectFactory(code="HZ-B-01", title_en="Water supply")
    ProjectFactory(code="HZ-B-02", title_en="Roads")
    line = BudgetLine.objects.create(project=project, year=2024, amount=Decimal("5"), note="首期")

    assert searched(Project, "water") == ({project.pk},) * 2
    assert searched(BudgetLine, "hz-b-01") == ({line.pk},) * 2
    assert searched(BudgetLine, "首期") == ({line.pk},) * 2


def test_searched_columns_have_trigram_indexes_the_search_uses():
    project = ProjectFactory(code="HZ-TRGM-01")
    record(project, "10", voucher="杭财-TRGM")
    model_admin = admin.site._registry[LedgerEntry]
    request = superuser_request()
    queryset = model_admin.search_matches(request, model_admin.get_queryset(request), "trgm")
    with connection.cursor() as cursor:
        # Tables this small are read whole; the plan that matters is the one at scale.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        plan = queryset.explain()

    for table, column in [
        ("funding_ledgerentry", "voucher"),
        ("funding_ledgerentry", "note"),
        ("projects_project", "code"),
        ("projects_project", "title_zh_hans"),
    ]:
        assert index_name(table, column) in plan
    assert "project_id = ANY" in plan


def test_above_the_bound_the_ledger_totals_come_from_the_running_totals(client, monkeypatch):
    programme = ProgrammeFactory()
    project = ProjectFactory(programme=programme)
    for amount in ("1", "2", "3"):
        record(project, amount, voucher=f"V-{amount}")
    record(ProjectFactory(), "100")
    monkeypatch.setattr(EstimatedCountPaginator, "exact_up_to", 2)
    client.force_login(User.objects.create_superuser("root"))

    whole = client.get(LEDGER)
    narrowed = client.get(LEDGER, {"project__programme__id__exact": programme.pk})
    searched_list = client.get(LEDGER, {"q": "V-"})
    short = client.get(LEDGER, {"q": "V-1"})

    assert [value for _, value in whole.context["list_totals"]][0] == Decimal("106")
    assert [value for _, value in narrowed.context["list_totals"]][0] == Decimal("6")
    assert searched_list.context["list_totals"] is None
    assert "Totals are summed over at most 10,000 rows" in searched_list.content.decode()
    assert [value for _, value in short.context["list_totals"]][0] == Decimal("1")


def ledger_rows(count):
    for _ in range(count):
        record(ProjectFactory(), "10")


def projects_rows(count):
    ProjectFactory.create_batch(count)


def budget_rows(count):
    for project in ProjectFactory.create_batch(count):
        BudgetLine.objects.create(project=project, year=2024, amount=Decimal("5"))


@pytest.mark.parametrize(
    ("url", "make", "most"),
    [
        (LEDGER, ledger_rows, 16),
        ("/en/admin/projects/project/", projects_rows, 16),
        ("/en/admin/funding/budgetline/", budget_rows, 16),
        ("/en/admin/funding/projectfunding/", ledger_rows, 16),
        ("/en/admin/funding/projectfundingyear/", ledger_rows, 14),
    ],
)
def test_a_large_list_makes_as_many_queries_for_thirty_rows_as_for_three(
    client, django_assert_max_num_queries, url, make, most
):
    client.force_login(User.objects.create_superuser("root"))
    make(3)
    with django_assert_max_num_queries(most):
        assert client.get(url).status_code == 200
    with django_assert_max_num_queries(most):
        assert client.get(url, {"q": "a"}).status_code == 200
    make(27)
    with django_assert_max_num_queries(most):
        assert client.get(url).status_code == 200
    with django_assert_max_num_queries(most):
        assert client.get(url, {"q": "a"}).status_code == 200


def test_the_ledger_pages_by_cursor_through_every_entry_once(client, monkeypatch):
    project = ProjectFactory()
    days = [datetime.date(2024, 3, day) for day in (1, 1, 1, 2, 5, 5, 9)]
    for day in days:
        services.record_entry(
            project=project, type=ARRIVAL, date=day, amount=Decimal("10"), voucher=str(day)
        )
    newest_first = list(LedgerEntry.objects.order_by("-date", "-id").values_list("pk", flat=True))
    monkeypatch.setattr(admin.site._registry[LedgerEntry], "list_per_page", 2)
    client.force_login(User.objects.create_superuser("root"))

    seen, url, pages = [], LEDGER, 0
    while url:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        changelist = response.context["cl"]
        seen += [entry.pk for entry in changelist.result_list]
        assert not any("OFFSET" in query["sql"] for query in queries)
        url = LEDGER + changelist.next_url() if changelist.next_cursor else None
        pages += 1
        assert pages <= len(days), "the cursor must move on"
        if url:
            assert 'rel="next"' in response.content.decode()

    assert seen == newest_first
    assert pages == 4
    assert "First page" in response.content.decode()


def test_a_cursor_the_list_did_not_give_is_refused_and_other_orders_are_numbered(client):
    record(ProjectFactory(), "10")
    client.force_login(User.objects.create_superuser("root"))

    assert client.get(LEDGER, {"after": "yesterday_1"})["Location"].endswith("?e=1")
    assert client.get(LEDGER, {"after": "2024-03-01_x"})["Location"].endswith("?e=1")
    by_amount = client.get(LEDGER, {"o": "4"})
    assert by_amount.context["cl"].keyset is None
    # A cursor means nothing in another order.
    assert client.get(LEDGER, {"o": "4", "after": "2024-03-01_1"})["Location"].endswith("?e=1")


def test_row_inputs_are_written_as_djangos_templates_write_them(client):
    """The action checkbox and the editable columns' inputs, written without templates, are
    the very HTML Django's widget templates write."""
    from django.contrib.admin import ModelAdmin

    entry = record(ProjectFactory(), "10")
    entry_admin = admin.site._registry[LedgerEntry]
    assert entry_admin.action_checkbox(entry) == ModelAdmin.action_checkbox(entry_admin, entry)

    project = ProjectFactory(published=True, title_en='Water <&"> supply')
    ProjectFactory(published=False)
    project_admin = admin.site._registry[Project]
    with translation.override("en"):
        ours_checkbox = project_admin.action_checkbox(project)
        assert ours_checkbox == ModelAdmin.action_checkbox(project_admin, project)
    assert "Water &lt;&amp;&quot;&gt; supply" in ours_checkbox
    request = superuser_request()
    ours = project_admin.get_changelist_formset(request)(queryset=Project.objects.order_by("pk"))
    djangos = ModelAdmin.get_changelist_formset(project_admin, request)(
        queryset=Project.objects.order_by("pk")
    )
    for form, reference in zip(ours.forms, djangos.forms, strict=True):
        for name in ("published", "id"):
            assert str(form[name]) == str(reference[name])
            assert str(form[name].errors) == str(reference[name].errors) == ""
    assert 'type="checkbox"' in str(ours.forms[0]["published"])


def test_the_project_list_pages_by_code_and_saves_its_editable_column(client, monkeypatch):
    first, second, third = (
        ProjectFactory(code=code, published=False) for code in ("HZ-K-1", "HZ-K-2", "HZ-K-3")
    )
    monkeypatch.setattr(admin.site._registry[Project], "list_per_page", 2)
    client.force_login(User.objects.create_superuser("root"))
    url = "/en/admin/projects/project/"

    page_one = client.get(url).context["cl"]
    page_two = client.get(url + page_one.next_url()).context["cl"]
    assert [project.code for project in page_one.result_list] == ["HZ-K-1", "HZ-K-2"]
    assert [project.code for project in page_two.result_list] == ["HZ-K-3"]
    assert page_two.next_cursor is None

    formset = page_two.formset
    data = {
        f"{formset.prefix}-TOTAL_FORMS": "1",
        f"{formset.prefix}-INITIAL_FORMS": "1",
        f"{formset.prefix}-0-id": str(third.pk),
        f"{formset.prefix}-0-published": "on",
        "_save": "Save",
    }
    assert client.post(url + page_one.next_url(), data).status_code == 302
    third.refresh_from_db()
    first.refresh_from_db()
    assert third.published and not first.published


def test_the_yearly_totals_page_by_cursor_newest_first(client, monkeypatch):
    from funding.models import ProjectFundingYear

    ledger_rows(3)
    newest_first = list(ProjectFundingYear.objects.order_by("-pk").values_list("pk", flat=True))
    monkeypatch.setattr(admin.site._registry[ProjectFundingYear], "list_per_page", 2)
    client.force_login(User.objects.create_superuser("root"))
    url = "/en/admin/funding/projectfundingyear/"

    page_one = client.get(url).context["cl"]
    page_two = client.get(url + page_one.next_url()).context["cl"]

    assert page_one.keyset == ("-pk",)
    assert [row.pk for row in [*page_one.result_list, *page_two.result_list]] == newest_first
    assert page_two.next_cursor is None


def test_the_budget_lines_page_by_cursor_through_their_project_code(client, monkeypatch):
    later, earlier = ProjectFactory(code="HZ-Z-9"), ProjectFactory(code="HZ-A-1")
    for project in (later, earlier):
        for year in (2025, 2024):
            for kind in (BudgetLine.Kind.REVISED, BudgetLine.Kind.ORIGINAL):
                BudgetLine.objects.create(project=project, year=year, kind=kind, amount=1)
    in_order = list(
        BudgetLine.objects.order_by("project__code", "year", "kind", "id").values_list(
            "pk", flat=True
        )
    )
    monkeypatch.setattr(admin.site._registry[BudgetLine], "list_per_page", 3)
    client.force_login(User.objects.create_superuser("root"))
    url = "/en/admin/funding/budgetline/"

    seen, address = [], url
    while address:
        changelist = client.get(address).context["cl"]
        assert changelist.keyset is not None
        seen += [line.pk for line in changelist.result_list]
        address = url + changelist.next_url() if changelist.next_cursor else None
        assert len(seen) <= len(in_order)

    assert seen == in_order
