"""The bulk downloads, each described once: its name, title and description, the selector
giving its rows (the same visibility as the public pages: nothing unpublished, no unapproved
ledger entry, education figures only as released) and every field with its type, unit and
language. The CSV, XLSX and JSON files, the /data/ page and datapackage.json are all written from
these descriptions.

Texts kept in both languages are two fields, `…_zh` (language zh-Hans) and `…_en`; choices are
given by their code, listed in the field's `enum`.
"""

import datetime
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models import QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from api.callers import Caller
from core.newest import column_of, newest, newest_times
from education import selectors as education
from education.models import Cohort, Exam, ResultsRelease, SponsoredProgramme
from education.suppression import REASONS as WITHHELD_REASONS
from funding import selectors as funding
from funding.models import Approval, BudgetLine, LedgerEntry, NotePublication
from medical import selectors as medical
from medical.models import (
    CallItem,
    CallList,
    Category,
    CharityBatch,
    Claim,
    FreeClinic,
    HospitalFirst,
    Transition,
    Verification,
)
from projects import selectors as projects
from projects.models import Indicator, Milestone, Participant, Project, TimelineEvent
from reference.models import DatePrecision, Organisation, Place, PlanPeriod, Programme

# Rows fetched from the database at a time: a download never holds a whole table.
CHUNK_SIZE = 2000
ZH, EN = "zh-Hans", "en"

# The downloads show what anyone sees: the visibility of a caller with no key and no sign-in.
PUBLIC = Caller()


@dataclass(frozen=True)
class Field:
    name: str
    type: str  # a Frictionless Table Schema type: string, integer, number, boolean, date…
    description: Promise
    source: str = ""  # the column read with QuerySet.values_list; empty when computed
    unit: str = ""
    language: str = ""  # of a text field's content
    enum: tuple[str, ...] = ()
    required: bool = False


@dataclass(frozen=True)
class ForeignKey:
    fields: tuple[str, ...]
    resource: str  # "" for the dataset itself
    reference: tuple[str, ...]


@dataclass(frozen=True)
class Dataset:
    name: str
    title: Promise
    description: Promise
    fields: tuple[Field, ...]
    queryset: Callable[[], QuerySet]
    # The columns and tables whose latest time says when the dataset last changed: its own
    # records' and those of every record its rows read or are filtered by (a project unpublished,
    # an organisation renamed), so that a file built at that time is the file of the data now.
    changes: tuple[tuple[type[models.Model], str], ...]
    # Rows computed in Python from each record, for datasets that are not plain columns.
    compute: Callable[[Any], tuple] | None = None
    primary_key: tuple[str, ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]

    def rows(self) -> Iterator[tuple]:
        """Every row, in order, fetched CHUNK_SIZE at a time."""
        queryset = self.queryset().prefetch_related(None)
        if self.compute is not None:
            for record in queryset.iterator(chunk_size=CHUNK_SIZE):
                yield self.compute(record)
            return
        columns = [f.source for f in self.fields]
        yield from queryset.values_list(*columns).iterator(chunk_size=CHUNK_SIZE)

    def count(self) -> int:
        return self.queryset().count()

    def changed(self) -> datetime.datetime | None:
        """When a record behind the dataset last changed (unpublished ones too: a record
        withdrawn changes the dataset)."""
        return changed_times([self])[self.name]


def changed_times(datasets) -> dict[str, datetime.datetime | None]:
    """Each dataset's `changed()`, in one query (`core.newest`), whatever the size of the tables."""
    latest = newest_times(
        (column_of(model, name) for d in datasets for model, name in d.changes), read_as=Project
    )
    return {
        dataset.name: newest(latest[column_of(model, name)] for model, name in dataset.changes)
        for dataset in datasets
    }


def _text(name: str, description: Promise, **options) -> Field:
    return Field(name, "string", description, source=options.pop("source", name), **options)


def _both(name: str, description: Promise, source: str = "") -> tuple[Field, Field]:
    """A text kept in both languages: the Chinese field, then the English one."""
    column = source or name
    return (
        Field(f"{name}_zh", "string", description, source=f"{column}_zh_hans", language=ZH),
        Field(f"{name}_en", "string", description, source=f"{column}_en", language=EN),
    )


def _choice(name: str, description: Promise, choices, source: str = "", required=True) -> Field:
    return Field(
        name,
        "string",
        description,
        source=source or name,
        enum=tuple(choices.values),
        required=required,
    )


def _money(name: str, description: Promise, source: str = "", required=True) -> Field:
    return Field(name, "number", description, source=source or name, unit="CNY", required=required)


def _date(name: str, description: Promise, source: str = "", required=False) -> Field:
    return Field(name, "date", description, source=source or name, required=required)


def _flag(name: str, description: Promise, source: str = "") -> Field:
    return Field(name, "boolean", description, source=source or name, required=True)


def _count(name: str, description: Promise, source: str = "", unit="", required=True) -> Field:
    return Field(name, "integer", description, source=source or name, unit=unit, required=required)


PROJECT = _text(
    "project", _("The code of the project (see the projects dataset)."), source="project__code"
)
PROGRAMME = _text("programme", _("The code of the programme."), source="programme__code")
ILLUSTRATIVE = _flag("illustrative", _("True when no source states the values: illustrative."))
PRECISION = _choice(
    "date_precision", _("How precise the date is: day, month or year."), DatePrecision
)
TO_PROJECT = ForeignKey(("project",), "projects", ("code",))


def _history(model) -> tuple[type, str]:
    return (model.history.model, "history_date")


# Codes and names that rows show: programmes, organisations, places and plan periods.
REFERENCE = tuple(_history(model) for model in (Programme, Organisation, Place, PlanPeriod))
# A project's publication and code decide the rows of everything recorded against it.
OF_PROJECTS = (_history(Project), *REFERENCE)


# -- education: released figures, one row per cohort and exam ------------------------------------

RELEASED_FIGURES = (
    ("sitting", "integer", _("Students who sat the exam.")),
    ("mean", "number", _("The cohort's mean score.")),
    ("median", "number", _("The cohort's median score.")),
    ("highest", "number", _("The cohort's highest score.")),
    ("in_area_top_n", "integer", _("Students among the area's top N (area_top_n).")),
)
WITHHELD = tuple(WITHHELD_REASONS)


def _released_row(release: ResultsRelease) -> tuple:
    stats = education.stats_of_release(release)
    figures = []
    for name, _type, _description in RELEASED_FIGURES:
        figure = getattr(stats, name)
        figures += [figure.value if figure.shown else None, figure.reason]
    return (
        release.cohort.programme.code,
        release.cohort.intake_year,
        release.exam.code,
        release.exam.name_zh_hans,  # type: ignore[attr-defined]  # modeltranslation
        release.exam.name_en,  # type: ignore[attr-defined]  # modeltranslation
        release.exam.date,
        release.exam.maximum_score,
        release.number,
        release.released_at,
        release.basis,
        release.source_zh_hans,  # type: ignore[attr-defined]  # modeltranslation
        release.source_en,  # type: ignore[attr-defined]  # modeltranslation
        *figures,
        stats.area_top_n,
    )


def _released_fields() -> tuple[Field, ...]:
    fields = []
    for name, type, description in RELEASED_FIGURES:
        unit = "" if type == "integer" else "points"
        fields.append(Field(name, type, description, unit=unit))
        fields.append(
            Field(
                f"{name}_withheld",
                "string",
                _(
                    "Why the figure is not published (small-group, differencing…); empty when it "
                    "is."
                ),
                enum=WITHHELD,
            )
        )
    return tuple(fields)


# -- the datasets ----------------------------------------------------------------------------------

DATASETS: tuple[Dataset, ...] = (
    Dataset(
        name="projects",
        title=_("Projects"),
        description=_(
            "Every published project: what, where, when, its status and its planned investment."
        ),
        queryset=projects.published_projects,
        changes=OF_PROJECTS,
        primary_key=("code",),
        fields=(
            _text("code", _("The project's code."), required=True),
            PROGRAMME,
            *_both("title", _("The project's title.")),
            *_both("summary", _("A one-line summary.")),
            _choice(
                "field",
                _("The field: development, livelihood, or integration and exchange."),
                Project.Field,
            ),
            _choice("category", _("The category."), Project.Category),
            _choice("status", _("The status, as IATI's activity status."), Project.Status),
            _text(
                "plan_period",
                _("The code of the five-year plan period."),
                source="plan_period__code",
            ),
            *_both("place", _("Where the project is."), source="place__name"),
            _date("planned_start", _("Planned start.")),
            _date("planned_end", _("Planned end.")),
            _date("actual_start", _("Actual start.")),
            _date("actual_end", _("Actual end.")),
            _money("planned_investment", _("Planned investment.")),
            _count(
                "beneficiaries", _("How many benefit, counted in beneficiary_unit."), required=False
            ),
            _choice(
                "beneficiary_unit",
                _("What the beneficiaries are counted in."),
                Project.BeneficiaryUnit,
                required=False,
            ),
            _flag("flagship", _("True for a flagship project.")),
        ),
    ),
    Dataset(
        name="participants",
        title=_("Participating organisations"),
        description=_("The organisations taking part in each published project, with their role."),
        queryset=projects.published_participants,
        changes=(_history(Participant), *OF_PROJECTS),
        primary_key=("project", "organisation", "role"),
        foreign_keys=(TO_PROJECT,),
        fields=(
            PROJECT,
            _text(
                "organisation",
                _("The organisation's code."),
                source="organisation__code",
                required=True,
            ),
            *_both("organisation_name", _("The organisation's name."), source="organisation__name"),
            _choice(
                "role",
                _("Its role, as IATI's organisation roles: funding, accountable or implementing."),
                Participant.Role,
            ),
        ),
    ),
    Dataset(
        name="milestones",
        title=_("Milestones"),
        description=_("Each published project's milestones, planned and reached."),
        queryset=projects.published_milestones,
        changes=(_history(Milestone), *OF_PROJECTS),
        foreign_keys=(TO_PROJECT,),
        fields=(
            PROJECT,
            _choice("kind", _("The kind of milestone."), Milestone.Kind),
            *_both("title", _("The milestone's title; empty for a standard kind.")),
            _date("planned_date", _("Planned date.")),
            _date("actual_date", _("Date reached.")),
            PRECISION,
            ILLUSTRATIVE,
        ),
    ),
    Dataset(
        name="indicators",
        title=_("Indicators"),
        description=_("Each published project's indicators: baseline, target and actual."),
        queryset=projects.published_indicators,
        changes=(_history(Indicator), *OF_PROJECTS),
        foreign_keys=(TO_PROJECT,),
        fields=(
            PROJECT,
            *_both("name", _("What is measured.")),
            *_both("unit", _("The unit of baseline, target and actual.")),
            Field("baseline", "number", _("Baseline."), source="baseline", required=True),
            Field("target", "number", _("Target."), source="target", required=True),
            Field("actual", "number", _("Actual value; empty while unknown."), source="actual"),
            ILLUSTRATIVE,
        ),
    ),
    Dataset(
        name="ledger-entries",
        title=_("Ledger entries"),
        description=_(
            "The funding ledger's entries that the public figures count: funds arrived, disbursed "
            "and spent, and reversals. Entries awaiting approval are left out."
        ),
        queryset=funding.public_entries,
        changes=(
            (LedgerEntry, "recorded_at"),
            (Approval, "approved_at"),
            (NotePublication, "published_at"),
            *OF_PROJECTS,
        ),
        primary_key=("id",),
        foreign_keys=(TO_PROJECT, ForeignKey(("reverses",), "", ("id",))),
        fields=(
            _count("id", _("The entry's number.")),
            PROJECT,
            _choice(
                "type", _("The type of entry, after IATI's transaction types."), LedgerEntry.Type
            ),
            _date("date", _("Date of the movement."), required=True),
            _money("amount", _("Amount; a reversal cancels the entry it reverses.")),
            _text("currency", _("Currency (ISO 4217)."), required=True),
            _text(
                "provider",
                _("Code of the organisation the money came from."),
                source="provider__code",
            ),
            _text(
                "receiver",
                _("Code of the organisation the money went to."),
                source="receiver__code",
            ),
            _text("voucher", _("Voucher or document number.")),
            _count(
                "reverses",
                _("The number of the entry this one reverses; empty for other entries."),
                source="reverses_id",
                required=False,
            ),
            _text(
                "note",
                _("Note (a partner's note once staff have published it)."),
                source="shown_note",
            ),
            _flag(
                "beyond_arrivals", _("True for a disbursement recorded beyond the funds arrived.")
            ),
            ILLUSTRATIVE,
        ),
    ),
    Dataset(
        name="budgets",
        title=_("Budgets per year"),
        description=_(
            "What each published project is due to be paid per year: original and revised budget "
            "lines."
        ),
        queryset=funding.public_budget_lines,
        changes=(_history(BudgetLine), *OF_PROJECTS),
        primary_key=("project", "year", "kind"),
        foreign_keys=(TO_PROJECT,),
        fields=(
            PROJECT,
            Field("year", "year", _("Year."), source="year", required=True),
            _choice("kind", _("Original or revised."), BudgetLine.Kind),
            _money("amount", _("Amount due.")),
            _flag(
                "due",
                _(
                    "True for the line that counts as due that year (the revised one where there "
                    "is one)."
                ),
            ),
            ILLUSTRATIVE,
        ),
    ),
    Dataset(
        name="medical-lists",
        title=_("Open-call lists"),
        description=_("The published and closed open-call lists of medical needs, one per batch."),
        queryset=lambda: medical.visible_lists(PUBLIC, programme=None),
        changes=(_history(CallList), *REFERENCE),
        primary_key=("programme", "batch"),
        fields=(
            _text(
                "programme",
                _("The code of the programme."),
                source="programme__code",
                required=True,
            ),
            _count("batch", _("The batch number.")),
            *_both("title", _("The list's title.")),
            _text(
                "issuer",
                _("Code of the issuing organisation."),
                source="issuer__code",
                required=True,
            ),
            _date("published_on", _("Published on.")),
            _date("claim_deadline", _("Claims close on."), required=True),
            _date(
                "delivery_deadline",
                _("Items without a due date of their own are due on this date."),
            ),
            _choice("status", _("Published or closed."), CallList.Status),
            _date("closed_on", _("Closed on.")),
            ILLUSTRATIVE,
        ),
    ),
    Dataset(
        name="medical-items",
        title=_("Open-call items"),
        description=_(
            "The items of the published lists, and how many claims hold a place on each."
        ),
        queryset=lambda: medical.visible_items(PUBLIC, programme=None),
        changes=(
            _history(CallItem),
            _history(CallList),
            (Claim, "created_at"),  # claims holding a place
            (Transition, "at"),
            *REFERENCE,
        ),
        primary_key=("programme", "batch", "number"),
        foreign_keys=(ForeignKey(("programme", "batch"), "medical-lists", ("programme", "batch")),),
        fields=(
            _text(
                "programme",
                _("The code of the programme."),
                source="call_list__programme__code",
                required=True,
            ),
            _count("batch", _("The list's batch number."), source="call_list__batch"),
            _count("number", _("The item's number in its list.")),
            *_both("title", _("The item's title.")),
            _choice("category", _("The category."), Category),
            _money("budget", _("Budget, where stated."), required=False),
            _date("due_on", _("Due on, where the item has its own date.")),
            _count("max_claimants", _("Places: how many organisations may claim it.")),
            _count("claims_holding", _("Claims holding a place."), source="active_claims"),
            _choice("status", _("The item's status."), CallItem.Status),
        ),
    ),
    Dataset(
        name="medical-claims",
        title=_("Claims"),
        description=_(
            "Who claimed which item, and when it was delivered: the public part of each claim on "
            "a published list."
        ),
        queryset=lambda: medical.visible_claims(PUBLIC),
        changes=(
            (Claim, "created_at"),
            (Verification, "verified_at"),
            (Transition, "at"),
            _history(CallItem),
            _history(CallList),
            *REFERENCE,
        ),
        primary_key=("id",),
        foreign_keys=(
            ForeignKey(
                ("programme", "batch", "item"), "medical-items", ("programme", "batch", "number")
            ),
        ),
        fields=(
            _count("id", _("The claim's number.")),
            _text(
                "programme",
                _("The code of the programme."),
                source="item__call_list__programme__code",
                required=True,
            ),
            _count("batch", _("The list's batch number."), source="item__call_list__batch"),
            _count("item", _("The item's number in its list."), source="item__number"),
            _text(
                "organisation",
                _("The claiming organisation's code."),
                source="organisation__code",
                required=True,
            ),
            *_both(
                "organisation_name",
                _("The claiming organisation's name."),
                source="organisation__name",
            ),
            _date("claimed_on", _("Claimed on."), required=True),
            _choice("status", _("The claim's status."), Claim.Status),
            _date("delivered_on", _("Delivered on.")),
        ),
    ),
    Dataset(
        name="free-clinics",
        title=_("Free clinics"),
        description=_("Free clinics and the people each served."),
        queryset=medical.free_clinics,
        changes=(_history(FreeClinic), *REFERENCE),
        primary_key=("programme", "number"),
        fields=(
            PROGRAMME,
            _count("number", _("The clinic's number.")),
            _date("date", _("Date."), required=True),
            PRECISION,
            *_both("place", _("Where."), source="place__name"),
            *_both("venue", _("Venue.")),
            *_both("team", _("Team.")),
            _count("people_served", _("People served."), unit="person-times"),
            ILLUSTRATIVE,
        ),
    ),
    Dataset(
        name="charity-batches",
        title=_("Charity batches (Taitou Tingxiong)"),
        description=_(
            "The batches of the Taitou Tingxiong charity programme (spine, knee and hip deformity "
            "surgery): patients treated and funds."
        ),
        queryset=medical.charity_batches,
        changes=(_history(CharityBatch), *REFERENCE),
        primary_key=("programme", "number"),
        fields=(
            PROGRAMME,
            _count("number", _("The batch number.")),
            _date("date", _("Date."), required=True),
            PRECISION,
            _count("patients", _("Patients treated."), unit="people"),
            _money("funds", _("Funds.")),
            _flag("spine", _("True when the batch treated spine deformities.")),
            _flag("knee", _("True when the batch treated knee deformities.")),
            _flag("hip", _("True when the batch treated hip deformities.")),
            ILLUSTRATIVE,
        ),
    ),
    Dataset(
        name="hospital-firsts",
        title=_("Hospital firsts"),
        description=_(
            "Firsts at the district hospitals: the first transfusion, the first operation of a "
            "kind…"
        ),
        queryset=medical.hospital_firsts,
        changes=(_history(HospitalFirst), *REFERENCE),
        primary_key=("programme", "code"),
        fields=(
            PROGRAMME,
            _text("code", _("The first's code."), required=True),
            _text("hospital", _("The hospital's code."), source="hospital__code", required=True),
            *_both("hospital_name", _("The hospital's name."), source="hospital__name"),
            _date("date", _("Date."), required=True),
            PRECISION,
            *_both("what", _("What was done for the first time.")),
            ILLUSTRATIVE,
        ),
    ),
    Dataset(
        name="education-results",
        title=_("Exam results as released"),
        description=_(
            "Each cohort's figures per exam as last released; figures over too few students are "
            "withheld, with the reason."
        ),
        queryset=lambda: education.latest_releases().order_by(
            "exam__date", "cohort__programme__code", "cohort__intake_year", "exam__code"
        ),
        changes=(
            (ResultsRelease, "released_at"),
            *(_history(model) for model in (Exam, Cohort, SponsoredProgramme)),
        ),
        compute=_released_row,
        primary_key=("programme", "cohort", "exam"),
        fields=(
            _text("programme", _("The code of the sponsored programme."), required=True),
            Field("cohort", "year", _("The cohort's intake year."), required=True),
            _text("exam", _("The exam's code."), required=True),
            Field("exam_name_zh", "string", _("The exam's name."), language=ZH),
            Field("exam_name_en", "string", _("The exam's name."), language=EN),
            Field("exam_date", "date", _("The exam's date."), required=True),
            Field(
                "maximum_score",
                "number",
                _("The exam's maximum score."),
                unit="points",
                required=True,
            ),
            Field(
                "release",
                "integer",
                _("The release number: 1 for the first, a later one supersedes it."),
                required=True,
            ),
            Field(
                "released_at", "datetime", _("When the figures were released (UTC)."), required=True
            ),
            Field(
                "basis",
                "string",
                _("recorded: computed from results; reported: as a source reports them."),
                enum=tuple(ResultsRelease.Basis.values),
                required=True,
            ),
            Field("source_zh", "string", _("The source of reported figures."), language=ZH),
            Field("source_en", "string", _("The source of reported figures."), language=EN),
            *_released_fields(),
            Field("area_top_n", "integer", _("N of the area's top N, as released.")),
        ),
    ),
    Dataset(
        name="timeline",
        title=_("Timeline"),
        description=_("The programme's published timeline events."),
        queryset=lambda: projects.published_events().order_by("date", "id"),
        changes=(_history(TimelineEvent), *OF_PROJECTS),
        fields=(
            PROGRAMME,
            _date("date", _("Date."), required=True),
            PRECISION,
            *_both("title", _("The event.")),
            *_both("text", _("More about it.")),
            _text(
                "project",
                _("The code of the published project it concerns."),
                source="public_project_code",
            ),
            ILLUSTRATIVE,
        ),
    ),
)

BY_NAME = {dataset.name: dataset for dataset in DATASETS}
