import django_filters

from api.filters import IdFilter
from education.models import Cohort, ExamResult
from projects.api.filters import YearFilter


class CohortFilter(django_filters.FilterSet):
    programme = django_filters.CharFilter(
        field_name="programme__code", help_text="Sponsored programme code."
    )
    intake_year = YearFilter(min_value=1, max_value=9999, help_text="Cohorts of this intake.")

    class Meta:
        model = Cohort
        fields = ["programme", "intake_year"]


class ResultFilter(django_filters.FilterSet):
    exam = django_filters.CharFilter(field_name="exam__code", help_text="Exam code.")
    cohort = IdFilter(field_name="cohort_id", help_text="Cohort id.")
    student = django_filters.CharFilter(
        field_name="student__public_id", help_text="Student public id."
    )

    class Meta:
        model = ExamResult
        fields = ["exam", "cohort", "student"]
