import pytest
from django.utils import translation

from core.querysets import built_once
from reference.models import Organisation
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db


def test_a_query_built_once_reads_the_rows_as_they_are_at_each_call():
    organisations = built_once(lambda: Organisation.objects.order_by("code"))
    OrganisationFactory(code="b-first")
    assert [o.code for o in organisations()] == ["b-first"]
    OrganisationFactory(code="a-later")
    assert [o.code for o in organisations()] == ["a-later", "b-first"]


def test_a_query_built_once_is_kept_per_language_and_argument():
    # modeltranslation resolves a translated field to the active language's column as the query
    # is built: one built in English must not order a Chinese reader's list.
    OrganisationFactory(code="x", name_en="Alpha", name_zh_hans="二")
    OrganisationFactory(code="y", name_en="Beta", name_zh_hans="一")
    by_name = built_once(
        lambda descending: Organisation.objects.order_by("-name" if descending else "name")
    )
    with translation.override("en"):
        assert [o.code for o in by_name(False)] == ["x", "y"]
        assert [o.code for o in by_name(True)] == ["y", "x"]
    with translation.override("zh-hans"):
        assert [o.code for o in by_name(False)] == ["y", "x"]
