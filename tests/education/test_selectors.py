"""Figures per cohort and exam, against hand-computed examples; suppression, differencing
included."""

from decimal import Decimal

import pytest

from education import selectors, suppression
from education.models import ExamResult, ReportedCohortFigure
from education.suppression import DIFFERENCING, INDIVIDUAL_SCORE, NOT_REPORTED, SMALL_GROUP
from tests.education.factories import (
    CohortFactory,
    EnrolmentFactory,
    ExamFactory,
    SponsoredProgrammeFactory,
    enrol_with_results,
)

pytestmark = pytest.mark.django_db

# Twelve scores out of 900: five in the top band (810+), five in 720–810, two in 630–720.
TWELVE = [810, 830, 850, 870, 890, 720, 740, 760, 780, 800, 650, 700]


def stats_of(cohort):
    (stats,) = selectors.exam_stats(list(selectors.cohorts().filter(pk=cohort.pk)))
    return stats


def test_suppress_cells_primary_and_secondary():
    # 3 is small; the published total 22 would give it back as 22 − 12 − 7, so 7 goes too.
    assert suppression.suppress_cells([12, 7, 3], total_published=True) == (
        [None, DIFFERENCING, SMALL_GROUP],
        False,
    )
    # Two small cells adding up to 4 are still small together: one more is suppressed.
    assert suppression.suppress_cells([2, 2, 9, 20], total_published=True) == (
        [SMALL_GROUP, SMALL_GROUP, DIFFERENCING, None],
        False,
    )
    # Small cells adding up to at least 5 reveal no group together.
    assert suppression.suppress_cells([3, 4, 9], total_published=True) == (
        [SMALL_GROUP, SMALL_GROUP, None],
        False,
    )
    # Zero is no group; without a published total there is nothing to subtract from.
    assert suppression.suppress_cells([12, 0, 8], total_published=True) == (
        [None, None, None],
        False,
    )
    assert suppression.suppress_cells([12, 3], total_published=False) == (
        [None, SMALL_GROUP],
        False,
    )
    # Nothing left to suppress but the total itself.
    assert suppression.suppress_cells([3], total_published=True) == ([SMALL_GROUP], True)


def test_figures_computed_from_results_match_the_hand_computed_example():
    cohort = CohortFactory()
    exam = ExamFactory(maximum_score=Decimal("900"), area_top_n=30)
    ranks = [1, 2, 3, 4, 5, 6, 7, 31, 40, 50, 60, 70]
    enrol_with_results(cohort, exam, TWELVE, ranks=ranks)

    stats = stats_of(cohort)

    assert stats.basis == selectors.RECORDED
    assert stats.sitting == suppression.Figure(12)
    assert stats.mean.value == Decimal("783.3")  # 9400 / 12
    assert stats.median.value == Decimal("790.0")  # (780 + 800) / 2
    assert stats.highest.value == Decimal("890")
    assert stats.lowest == suppression.Figure(None, INDIVIDUAL_SCORE)
    assert stats.in_area_top_n.value == 7  # and 5 outside it: neither is a small group
    bands = [(band.low, band.high, band.count) for band in stats.bands]
    assert bands == [
        # 5 is not small, but the 2 below must not be had as 12 − 5 − 5: one 5 goes too.
        (Decimal("810.0"), Decimal("900.0"), suppression.Figure(None, DIFFERENCING)),
        (Decimal("720.0"), Decimal("810.0"), suppression.Figure(5)),
        (Decimal("630.0"), Decimal("720.0"), suppression.Figure(None, SMALL_GROUP)),
        (Decimal("540.0"), Decimal("630.0"), suppression.Figure(0)),
        (Decimal("0.0"), Decimal("540.0"), suppression.Figure(0)),
    ]


def test_every_figure_over_fewer_than_five_students_is_suppressed():
    cohort = CohortFactory()
    enrol_with_results(cohort, ExamFactory(), [700, 710, 720, 730])

    stats = stats_of(cohort)

    for name in ("sitting", "mean", "median", "highest", "lowest", "in_area_top_n"):
        assert getattr(stats, name) == suppression.Figure(None, SMALL_GROUP), name
    assert all(band.count.reason == SMALL_GROUP for band in stats.bands)


def test_the_minimum_group_size_is_a_setting(settings):
    settings.EDUCATION_MIN_GROUP_SIZE = 3
    cohort = CohortFactory()
    enrol_with_results(cohort, ExamFactory(), [700, 710, 720, 730])

    assert stats_of(cohort).mean.value == Decimal("715.0")


def test_top_n_count_leaving_a_small_remainder_is_suppressed():
    cohort = CohortFactory()
    # 9 of 12 in the top 30: the 3 outside it would be had as 12 − 9.
    enrol_with_results(cohort, ExamFactory(area_top_n=30), TWELVE, ranks=[1] * 9 + [99] * 3)

    assert stats_of(cohort).in_area_top_n == suppression.Figure(None, DIFFERENCING)


def test_intake_and_sitting_differing_by_a_small_group_suppress_sitting_and_bands():
    cohort = CohortFactory()
    exam = ExamFactory()
    # 14 enrolled (the published intake), 12 sat: 14 − 12 would reveal the 2 who did not.
    enrol_with_results(cohort, exam, TWELVE, absent=2)

    stats = stats_of(cohort)
    intake = selectors.cohort_intake(cohort)

    assert intake.count == suppression.Figure(14)
    assert stats.sitting == suppression.Figure(None, DIFFERENCING)
    assert all(band.count.reason == DIFFERENCING for band in stats.bands)
    assert stats.mean.value == Decimal("783.3")  # over the 12 who sat, absentees excluded


def test_differencing_a_programme_total_and_its_cohorts():
    """Hand-built: cohorts of 12, 7 and 3 under a published total. Without secondary suppression
    22 − 12 − 7 gives the cohort of 3 back."""
    programme = SponsoredProgrammeFactory()
    sizes = {2020: 12, 2021: 7, 2022: 3}
    for year, size in sizes.items():
        cohort = CohortFactory(programme=programme, intake_year=year)
        for _ in range(size):
            EnrolmentFactory(cohort=cohort)

    summary = selectors.programme_figures(programme).intakes

    shown = {i.cohort.intake_year: i.count for i in summary.intakes}
    assert summary.total == suppression.Figure(22)
    assert shown == {
        2020: suppression.Figure(12),
        2021: suppression.Figure(None, DIFFERENCING),
        2022: suppression.Figure(None, SMALL_GROUP),
    }
    # Whatever an outsider subtracts, the withheld cohorts come to 10 together, not under 5.
    published = sum(f.value for f in shown.values() if f.shown)
    assert not 0 < summary.total.value - published < 5


def test_reported_figures_are_labelled_and_never_mixed_with_results():
    cohort = CohortFactory()
    exam = ExamFactory(area_top_n=30)
    ReportedCohortFigure.objects.create(
        exam=exam,
        cohort=cohort,
        students=30,
        mean=Decimal("799.5"),
        top_score=Decimal("870"),
        in_area_top_n=19,
        source="改革网 2024-10-18",
        as_of="2024-10-18",
    )

    reported = stats_of(cohort)

    assert reported.basis == selectors.REPORTED
    assert reported.source == "改革网 2024-10-18"
    assert (reported.sitting.value, reported.mean.value, reported.highest.value) == (
        30,
        Decimal("799.5"),
        Decimal("870"),
    )
    assert reported.in_area_top_n.value == 19
    assert reported.median.reason == NOT_REPORTED

    enrol_with_results(cohort, exam, TWELVE)
    recorded = stats_of(cohort)

    assert recorded.basis == selectors.RECORDED
    assert recorded.source == ""
    assert (recorded.sitting.value, recorded.mean.value) == (12, Decimal("783.3"))


def test_a_small_reported_cohort_is_suppressed_too():
    cohort = CohortFactory()
    ReportedCohortFigure.objects.create(
        exam=ExamFactory(),
        cohort=cohort,
        students=4,
        mean=Decimal("700"),
        top_score=Decimal("720"),
        source="s",
        as_of="2024-01-01",
    )

    stats = stats_of(cohort)

    assert stats.mean.reason == stats.highest.reason == stats.sitting.reason == SMALL_GROUP


def test_exam_stats_query_count_does_not_grow_with_cohorts(django_assert_max_num_queries):
    programme = SponsoredProgrammeFactory()
    exam = ExamFactory()
    for year in range(2020, 2024):
        enrol_with_results(CohortFactory(programme=programme, intake_year=year), exam, [700] * 5)

    with django_assert_max_num_queries(5):
        cohort_list = list(selectors.cohorts().filter(programme=programme))
        assert len(selectors.exam_stats(cohort_list)) == 4
    assert ExamResult.objects.count() == 20


def test_the_stats_of_one_cohort_use_its_programmes_published_intake():
    """The API's stats of one cohort and the page's stats of all agree: the cohort of 7 below is
    withheld by differencing at programme level, so the 2 absent from it are not revealed by
    subtracting the number sitting from an intake computed over that cohort alone."""
    programme = SponsoredProgrammeFactory()
    exam = ExamFactory()
    big = CohortFactory(programme=programme, intake_year=2020)
    for _ in range(12):
        EnrolmentFactory(cohort=big)
    seven = CohortFactory(programme=programme, intake_year=2021)
    enrol_with_results(seven, exam, [700, 710, 720, 730, 740], absent=2)
    small = CohortFactory(programme=programme, intake_year=2022)
    for _ in range(3):
        EnrolmentFactory(cohort=small)

    alone = stats_of(seven)
    together = selectors.exam_stats(list(selectors.cohorts().filter(programme=programme)))

    assert together == [alone]
    assert alone.sitting == suppression.Figure(5)
