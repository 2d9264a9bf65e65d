"""Education records in the admin. Students are anonymised, never deleted; results are written
through `education.services`; every page that shows students or results logs the read."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, ngettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from core.admin import ImportAdminMixin, ImportForm, ReadOnlyAdmin
from education import imports, selectors, services, suppression
from education.models import (
    AccessLogEntry,
    Cohort,
    Enrolment,
    Exam,
    ExamResult,
    Placement,
    ReportedCohortFigure,
    ResultsRelease,
    SponsoredProgramme,
    Student,
)
from education.services import ReleaseRefused
from education.templatetags.education import shown
from reference.admin import HistoryTranslationAdmin


class AccessLoggedAdmin(admin.ModelAdmin):
    """Logs the records a list page shows and the record a change or history page shows."""

    def _log(self, request, ids) -> None:
        services.log_access(request=request, records=list(ids), model=self.model, user=request.user)

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None:
            self._log(request, [obj.pk for obj in changelist.result_list])
        return response

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        response = super().changeform_view(request, object_id, form_url, extra_context)
        if object_id is not None and response.status_code == 200:
            self._log(request, [object_id])
        return response

    def history_view(self, request, object_id, extra_context=None):
        response = super().history_view(request, object_id, extra_context)
        if response.status_code == 200:
            self._log(request, [object_id])
        return response

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # SimpleHistoryAdmin, beside this class in the admins that use it, defines the view.
        response = super().history_form_view(  # type: ignore[misc]
            request, object_id, version_id, extra_context
        )
        if response.status_code == 200:
            self._log(request, [object_id])
        return response


@admin.register(SponsoredProgramme)
class SponsoredProgrammeAdmin(HistoryTranslationAdmin):
    list_display = ["name", "host_school", "partner", "started_on", "pairing"]
    autocomplete_fields = ["host_school", "partner"]
    list_select_related = ["host_school", "partner", "pairing"]


class EnrolmentInline(admin.TabularInline):
    model = Enrolment
    extra = 0
    fields = ["student", "status", "enrolled_on", "left_on"]
    raw_id_fields = ["student"]
    can_delete = False


class ReportedFigureInline(admin.TabularInline):
    model = ReportedCohortFigure
    extra = 0
    fields = ["exam", "students", "mean", "top_score", "in_area_top_n", "source", "as_of"]


@admin.register(Cohort)
class CohortAdmin(SimpleHistoryAdmin):
    """A cohort's page lists its enrolments (students by public id): a logged read."""

    list_filter = ["programme"]
    inlines = [EnrolmentInline, ReportedFigureInline]

    def get_queryset(self, request):
        return selectors.cohorts()

    def get_list_display(self, request):
        # The published intake of a cohort depends on its siblings (suppression): one summary
        # per programme on the page, not one per row.
        intakes = selectors.PublishedIntakes()

        @admin.display(description=_("intake (published)"))
        def intake(obj):
            return shown(intakes.of(obj).count)

        return ["__str__", "intake_year", "grade", "planned_size", intake]

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        response = super().changeform_view(request, object_id, form_url, extra_context)
        # Only those who see the enrolments inline read students here.
        sees_students = request.user.has_perm("education.view_enrolment")
        if object_id is not None and response.status_code == 200 and sees_students:
            ids = Enrolment.objects.filter(cohort_id=object_id).values_list("student_id", flat=True)
            services.log_access(
                request=request, records=list(ids), model=Student, user=request.user
            )
        return response


class StudentEnrolmentInline(admin.TabularInline):
    model = Enrolment
    extra = 0
    fields = ["cohort", "status", "enrolled_on", "left_on"]
    can_delete = False


class StudentForm(forms.ModelForm):
    """A pupil's own name is required; the model allows it blank only once anonymised."""

    class Meta:
        model = Student
        fields = [
            "name",
            "gender",
            "birth_date",
            "home_township",
            "guardian_contact",
            "consent_given",
            "consent_date",
        ]
        labels = {"name": pgettext_lazy("person", "name")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].required = self.instance.anonymised_at is None
        township = self.fields["home_township"]
        assert isinstance(township, forms.ModelChoiceField)
        township.queryset = selectors.partner_townships()


@admin.register(Student)
class StudentAdmin(AccessLoggedAdmin):
    form = StudentForm
    list_display = [
        "public_id",
        "name",
        "gender",
        "current_cohort",
        "consent_given",
        "anonymised_at",
    ]
    search_fields = ["public_id", "name"]
    list_filter = ["enrolments__cohort__programme", "enrolments__status", "consent_given"]
    readonly_fields = ["public_id", "anonymised_at", "anonymised_by"]
    fields = [
        "public_id",
        "name",
        "gender",
        "birth_date",
        "home_township",
        "guardian_contact",
        "consent_given",
        "consent_date",
        "anonymised_at",
        "anonymised_by",
    ]
    inlines = [StudentEnrolmentInline]
    actions = ["anonymise_selected"]

    def get_fields(self, request, obj=None):
        # The public id is drawn when the student is saved: shown from then on, never a draft one.
        return self.fields if obj is not None else StudentForm.Meta.fields

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else []

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("enrolments__cohort__programme")

    @admin.display(description=_("cohort"))
    def current_cohort(self, obj):
        enrolments = sorted(obj.enrolments.all(), key=lambda e: e.enrolled_on)
        return str(enrolments[-1].cohort) if enrolments else "—"

    def has_delete_permission(self, request, obj=None):
        # Removing a student is anonymising them: results stay, so published figures stay true.
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not self.has_change_permission(request):
            actions.pop("anonymise_selected", None)
        return actions

    @admin.action(description=_("Anonymise the selected students (keeps their results)"))
    def anonymise_selected(self, request, queryset):
        count = 0
        for student in queryset:
            services.anonymise_student(student=student, by=request.user)
            count += 1
        self.message_user(
            request,
            ngettext("Anonymised %(count)d student.", "Anonymised %(count)d students.", count)
            % {"count": count},
            messages.SUCCESS,
        )


@admin.register(Exam)
class ExamAdmin(HistoryTranslationAdmin):
    list_display = ["name", "code", "date", "maximum_score", "ranking_area", "area_top_n"]
    search_fields = ["code", "name_zh_hans", "name_en"]


class ResultForm(forms.ModelForm):
    class Meta:
        model = ExamResult
        fields = ["student", "exam", "cohort", "absent", "score", "area_rank"]

    def clean(self):
        super().clean()
        data = self.cleaned_data
        if self.instance.pk is None and not self.errors:
            problems = services.result_problems(
                student=data["student"],
                exam=data["exam"],
                cohort=data["cohort"],
                score=data.get("score"),
                area_rank=data.get("area_rank"),
                absent=data.get("absent", False),
            )
            if problems:
                raise ValidationError(problems)
        return data


class ResultsImportForm(ImportForm):
    max_bytes = 5 * 1024 * 1024
    too_large = _("The file is larger than 5 MB; split it.")
    field_order = ["programme", "file", "dry_run"]

    programme: "forms.ModelChoiceField[SponsoredProgramme]" = forms.ModelChoiceField(
        label=_("Programme"), queryset=SponsoredProgramme.objects.all()
    )


@admin.register(ExamResult)
class ExamResultAdmin(ImportAdminMixin, AccessLoggedAdmin, SimpleHistoryAdmin):
    form = ResultForm
    importer = imports.ResultsImporter
    import_form = ResultsImportForm
    import_title = _("Import exam results")
    import_filename = "results-import"
    list_display = ["student", "exam", "cohort", "absent", "score", "area_rank"]
    list_filter = ["exam", "cohort__programme", "cohort"]
    search_fields = ["student__public_id"]
    list_select_related = ["student", "exam", "cohort__programme"]
    raw_id_fields = ["student"]

    def get_readonly_fields(self, request, obj=None):
        # A recorded result is corrected by education staff field by field, never re-pointed.
        return ["student", "exam", "cohort"] if obj is not None else []

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        saved = services.record_result(
            student=obj.student,
            exam=obj.exam,
            cohort=obj.cohort,
            score=obj.score,
            area_rank=obj.area_rank,
            absent=obj.absent,
        )
        obj.pk = saved.pk
        obj.recorded_at = saved.recorded_at

    def get_importer(self, request, form):
        return imports.ResultsImporter(programme=form.cleaned_data["programme"])

    def checked_message(self, report):
        count = len(report.rows)
        return ngettext(
            "The file has no problems: %(counter)s result would be imported. Nothing was "
            "written (only checked).",
            "The file has no problems: %(counter)s results would be imported. Nothing was "
            "written (only checked).",
            count,
        ) % {"counter": count}

    def import_notes(self):
        return [gettext("缺考: write 是 for an absent student and leave the score empty.")]

    def imported_message(self, report, filename):
        return gettext("Imported %(count)d results from %(file)s.") % {
            "count": len(report.rows),
            "file": filename,
        }


@admin.register(ReportedCohortFigure)
class ReportedCohortFigureAdmin(SimpleHistoryAdmin):
    list_display = ["exam", "cohort", "students", "mean", "top_score", "in_area_top_n", "source"]
    list_select_related = ["exam", "cohort__programme"]


FIGURE_LABELS = {
    "sitting": _("Students sitting"),
    "mean": _("Mean"),
    "median": _("Median"),
    "highest": _("Top score"),
    "lowest": _("Lowest score"),
    "in_area_top_n": _("In the area's top N"),
}


def figure_rows(stats: selectors.ExamStats | None) -> list[tuple[str, suppression.Figure]]:
    """Each figure of a cohort's results for an exam with its label, bands last."""
    if stats is None:
        return []
    rows = [(str(label), getattr(stats, name)) for name, label in FIGURE_LABELS.items()]
    rows += [
        (gettext("Band %(low)s–%(high)s") % {"low": band.low, "high": band.high}, band.count)
        for band in stats.bands
    ]
    return rows


class ReleaseForm(forms.Form):
    cohort: "forms.ModelChoiceField[Cohort]" = forms.ModelChoiceField(
        label=_("Cohort"), queryset=Cohort.objects.select_related("programme")
    )
    exam: "forms.ModelChoiceField[Exam]" = forms.ModelChoiceField(
        label=_("Exam"), queryset=Exam.objects.all()
    )


@admin.register(ResultsRelease)
class ResultsReleaseAdmin(admin.ModelAdmin):
    """Releases are made on the release page, which shows what will be published and what is
    withheld before staff confirm, and are read-only once made."""

    list_display = ["cohort", "exam", "number", "basis", "released_at", "released_by"]
    list_filter = ["exam", "cohort__programme", "basis"]
    list_select_related = ["cohort__programme", "exam", "released_by"]
    fields = [
        "cohort",
        "exam",
        "number",
        "supersedes",
        "basis",
        "source",
        "published_figures",
        "released_by",
        "released_at",
    ]
    readonly_fields = fields  # type: ignore[assignment]  # the same names, all read-only

    @admin.display(description=_("published figures"))
    def published_figures(self, obj):
        rows = figure_rows(selectors.stats_of_release(obj))
        return format_html(
            "<table><tbody>{}</tbody></table>",
            format_html_join(
                "",
                "<tr><th>{}</th><td>{}</td><td>{}</td></tr>",
                ((label, shown(figure), figure.reason_text) for label, figure in rows),
            ),
        )

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        # The desk links here with the cohort and exam already chosen.
        form = ReleaseForm(request.POST or None, initial=request.GET.dict())
        plan = refusal = None
        if request.method == "POST" and form.is_valid():
            cohort, exam = form.cleaned_data["cohort"], form.cleaned_data["exam"]
            if "confirm" in request.POST:
                try:
                    release = services.release_results(
                        cohort=cohort, exam=exam, released_by=request.user
                    )
                except ReleaseRefused as refused:
                    refusal = str(refused)
                else:
                    self.message_user(
                        request,
                        gettext("Released %(release)s: the public now sees these figures.")
                        % {"release": release},
                        messages.SUCCESS,
                    )
                    return HttpResponseRedirect(
                        reverse("admin:education_resultsrelease_change", args=[release.pk])
                    )
            plan = services.plan_release(cohort=cohort, exam=exam)
            if plan.refusal is not None:
                refusal = str(plan.refusal)
        previous = (
            dict(figure_rows(selectors.stats_of_release(plan.previous)))
            if plan is not None and plan.previous is not None
            else {}
        )
        context = {
            **self.admin_site.each_context(request),
            "title": _("Release results"),
            "opts": self.opts,
            "form": form,
            "plan": plan,
            "refusal": refusal,
            "rows": [
                (label, figure, previous.get(label))
                for label, figure in figure_rows(plan.stats if plan else None)
            ],
            "min_group": suppression.min_group(),
        }
        return TemplateResponse(request, "admin/education/resultsrelease/release.html", context)


@admin.register(Placement)
class PlacementAdmin(SimpleHistoryAdmin):
    list_display = ["__str__", "kind", "headcount", "province", "start_date", "event"]
    raw_id_fields = ["student"]


@admin.register(AccessLogEntry)
class AccessLogEntryAdmin(ReadOnlyAdmin):
    """Read-only: who read which student records, when, where."""

    list_display = ["at", "actor_display", "model", "record_count", "method", "path"]
    list_filter = ["model"]
    date_hierarchy = "at"
    list_select_related = ["user", "api_key__organisation"]

    @admin.display(description=_("records"))
    def record_count(self, obj):
        return len(obj.object_ids)
