import django_filters

from api.filters import IdFilter, WholeNumberFilter
from medical.models import CallItem, CallList, Category, Claim


class CallListFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=CallList.Status.choices)

    class Meta:
        model = CallList
        fields = ["status"]


class CallItemFilter(django_filters.FilterSet):
    list = IdFilter(field_name="call_list_id", help_text="Id of the list (榜单).")
    batch = WholeNumberFilter(
        field_name="call_list__batch", min_value=1, help_text="Batch number of the list."
    )
    status = django_filters.ChoiceFilter(choices=CallItem.Status.choices)
    category = django_filters.ChoiceFilter(choices=Category.choices)

    class Meta:
        model = CallItem
        fields = ["list", "batch", "status", "category"]


class ClaimFilter(django_filters.FilterSet):
    item = IdFilter(field_name="item_id", help_text="Item id.")
    organisation = django_filters.CharFilter(
        field_name="organisation__code", help_text="Code of the claiming organisation."
    )
    status = django_filters.ChoiceFilter(choices=Claim.Status.choices)

    class Meta:
        model = Claim
        fields = ["item", "organisation", "status"]
