"""api.filters.FilterBackend builds no FilterSet for a request that names no filter, and still
builds one that changes the list on its own."""

import django_filters
import pytest
from django.test import RequestFactory
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request

from api.filters import FilterBackend
from projects.models import Project
from tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db


class ByField(django_filters.FilterSet):
    class Meta:
        model = Project
        fields = ["field"]


class NewestCodeFirst(ByField):
    @property
    def qs(self):
        return super().qs.order_by("-code")


def listed(filterset_class, **params) -> list[str]:
    view = type("View", (), {"filterset_class": filterset_class})()
    request = Request(RequestFactory().get("/", params))
    rows = FilterBackend().filter_queryset(request, Project.objects.order_by("code"), view)
    return [project.code for project in rows]


@pytest.fixture
def projects():
    ProjectFactory(code="A", field=Project.Field.LIVELIHOOD)
    ProjectFactory(code="B", field=Project.Field.DEVELOPMENT)


def test_paging_alone_leaves_the_list_whole_and_a_filter_still_filters(projects):
    assert listed(ByField, page_size=1, page=1) == ["A", "B"]
    assert listed(ByField, page_size=1, field=Project.Field.DEVELOPMENT) == ["B"]


def test_a_filterset_that_changes_the_list_on_its_own_is_built_with_no_filter_named(projects):
    assert listed(NewestCodeFirst) == ["B", "A"]
    assert listed(NewestCodeFirst, cursor="x", page_size=1) == ["B", "A"]


def test_a_wrong_filter_value_is_still_refused_beside_paging(projects):
    with pytest.raises(ValidationError) as refused:
        listed(ByField, page_size=1, field="no-such-field")
    assert "field" in refused.value.detail
