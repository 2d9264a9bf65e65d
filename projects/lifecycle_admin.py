"""The lifecycle in the admin: a button per step the project's stage allows and the user's roles
let them take, each opening a confirmation page with what the step records; the steps and plan
adjustments inline on the project; plan adjustments requested and decided. Every write goes
through projects.lifecycle, whose refusals come back as form errors."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import display_for_field, lookup_field
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from api.actors import Actor
from core.admin import ReadOnlyAdmin, money_column
from core.exceptions import Conflict
from projects import lifecycle
from projects.models import PlanAdjustment, Project, WorkflowStep
from reference.models import DatePrecision

Action = WorkflowStep.Action
# The fields each step's confirmation page asks for, beyond the date and the comment.
STEP_FIELDS: dict[str, tuple[str, ...]] = {
    Action.REVIEW: ("side", "opinion", "document_number"),
    Action.APPROVE: ("document_number", "amount"),
    Action.ACCEPT: ("result", "document_number"),
    Action.START: ("document_number",),
    Action.COMPLETE: ("document_number",),
    Action.HAND_OVER: ("document_number",),
}
COMMON = ("date", "date_precision", "comment", "comment_public")


class StepForm(forms.Form):
    date = forms.DateField(label=capfirst(_("date")), help_text=_("The day the step took effect."))
    date_precision = forms.ChoiceField(
        label=capfirst(_("date precision")),
        choices=DatePrecision.choices,
        initial=DatePrecision.DAY,
    )
    side = forms.ChoiceField(label=capfirst(_("side")), choices=WorkflowStep.Side.choices)
    opinion = forms.ChoiceField(label=capfirst(_("opinion")), choices=WorkflowStep.Opinion.choices)
    document_number = forms.CharField(
        label=capfirst(_("document number")), max_length=100, required=False
    )
    amount = forms.DecimalField(
        label=capfirst(_("approved amount (CNY)")), max_digits=14, decimal_places=2, min_value=0
    )
    result = forms.ChoiceField(
        label=capfirst(_("acceptance result")), choices=WorkflowStep.Result.choices
    )
    comment = forms.CharField(
        label=capfirst(_("comment")), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    comment_public = forms.BooleanField(
        label=capfirst(_("comment is public")),
        required=False,
        help_text=_("Otherwise only staff read it; the public sees the step and its date."),
    )

    def __init__(self, *args, action: str, sides: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        wanted = {*COMMON, *STEP_FIELDS.get(action, ())}
        for name in list(self.fields):
            if name not in wanted:
                del self.fields[name]
        if "side" in self.fields:
            side = self.fields["side"]
            assert isinstance(side, forms.ChoiceField)
            side.choices = [(s, WorkflowStep.Side(s).label) for s in sides]
        if action in lifecycle.NEEDS_REASON:
            self.fields["comment"].required = True
            self.fields["comment"].label = _("reason")

    def details(self) -> lifecycle.StepDetails:
        data = self.cleaned_data
        return lifecycle.StepDetails(
            date=data.get("date"),
            date_precision=data.get("date_precision") or DatePrecision.DAY,
            document_number=data.get("document_number") or "",
            comment=data.get("comment") or "",
            comment_public=bool(data.get("comment_public")),
            side=data.get("side") or "",
            opinion=data.get("opinion") or "",
            amount=data.get("amount"),
            result=data.get("result") or "",
        )


def add_refusal(form: forms.BaseForm, error: Exception) -> None:
    """A service's refusal as errors on the form's fields, or on the form as a whole."""
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, str(error))


STEP_COLUMNS = (
    "action",
    "date",
    "document_number",
    "side",
    "opinion",
    "amount",
    "result",
    "comment",
    "comment_public",
    "illustrative",
    "at",
)
ADJUSTMENT_COLUMNS = (
    "planned_investment",
    "previous_investment",
    "scope",
    "reason",
    "status",
    "decided_on",
    "document_number",
    "requested_by",
    "decided_by",
)


def _table(model, columns, records, *, with_actor: bool = False) -> dict:
    """A read-only table of records for the project's page (not an inline: nothing is edited,
    so the project form carries no formset for it)."""
    fields = [model._meta.get_field(name) for name in columns]
    headers = [str(field.verbose_name) for field in fields]
    if with_actor:
        headers.append(str(_("by")))
    rows = []
    for record in records:
        row = [
            display_for_field(lookup_field(field.name, record, None)[2], field, "—")
            for field in fields
        ]
        if with_actor:
            row.append(str(record.actor))
        rows.append({"cells": row, "pk": record.pk})
    return {"headers": headers, "rows": rows}


class LifecycleAdminMixin(admin.ModelAdmin):
    """The project admin's lifecycle steps: buttons, confirmation pages and derived fields."""

    def get_urls(self):
        step = path(
            "<path:object_id>/step/<str:action>/",
            self.admin_site.admin_view(self.step_view),
            name="projects_project_step",
        )
        return [step, *super().get_urls()]

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and lifecycle.may_edit_project(
            request.user, obj
        )

    def get_changelist_instance(self, request):
        # The list's "published" tick boxes are programme staff's alone.
        changelist = super().get_changelist_instance(request)
        if not lifecycle.may_publish_project(request.user):
            changelist.list_editable = ()
        return changelist

    def get_readonly_fields(self, request, obj=None):
        fields = [*super().get_readonly_fields(request, obj), "stage"]
        if not lifecycle.may_publish_project(request.user):
            fields.append("published")
        if obj is not None and obj.stage not in (
            lifecycle.Stage.PROPOSAL,
            lifecycle.Stage.REVIEW,
            lifecycle.Stage.WITHDRAWN,
        ):
            # Set by the approval; after it only an approved plan adjustment changes it.
            fields.append("planned_investment")
        if obj is not None and obj.steps.exists():
            # Kept in step with the stage by the lifecycle.
            fields.append("status")
        return fields

    def change_view(self, request, object_id, form_url="", extra_context=None):
        project = self.get_object(request, object_id)
        extra = dict(extra_context or {})
        if project is not None:
            extra["lifecycle_steps"] = [
                (action, Action(action).label)
                for action in lifecycle.actions_for(project, request.user)
            ]
            steps = project.steps.select_related("user", "api_key").order_by("id")
            adjustments = project.adjustments.select_related("requested_by", "decided_by")
            extra["lifecycle_history"] = _table(WorkflowStep, STEP_COLUMNS, steps, with_actor=True)
            extra["plan_adjustments"] = _table(PlanAdjustment, ADJUSTMENT_COLUMNS, adjustments)
        return super().change_view(request, object_id, form_url, extra)

    def step_view(self, request, object_id, action):
        project = get_object_or_404(Project, pk=object_id)
        if action not in Action.values or not self.has_view_permission(request, project):
            raise PermissionDenied
        form = StepForm(
            request.POST or None,
            action=action,
            sides=lifecycle.review_sides(request.user),
            initial={"date": timezone.localdate(), "amount": project.planned_investment},
        )
        moves = lifecycle.TRANSITIONS.get(action, {})
        if request.method == "POST" and form.is_valid():
            try:
                lifecycle.take_step(
                    project=project,
                    action=action,
                    actor=Actor(user=request.user),
                    details=form.details(),
                )
            except (ValidationError, Conflict, PermissionDenied) as error:
                add_refusal(form, error)
            else:
                self.message_user(
                    request,
                    gettext("%(project)s: step '%(step)s' recorded.")
                    % {"project": project.code, "step": Action(action).label},
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(
                    reverse("admin:projects_project_change", args=[project.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("%(step)s: %(project)s")
            % {"step": str(Action(action).label).capitalize(), "project": project},
            "opts": self.opts,
            "original": project,
            "form": form,
            "step_label": Action(action).label,
            "from_stage": project.get_stage_display(),
            "to_stage": lifecycle.Stage(moves[project.stage]).label
            if project.stage in moves
            else None,
        }
        return TemplateResponse(request, "admin/projects/project/step.html", context)


class PlanAdjustmentForm(forms.ModelForm):
    """A request: the lifecycle's rules are asked before anything is saved."""

    class Meta:
        model = PlanAdjustment
        fields = ["project", "planned_investment", "scope", "reason"]

    def clean(self):
        data = super().clean() or self.cleaned_data
        project = data.get("project")
        if project is not None and not self.errors:
            try:
                lifecycle.check_adjustment(project=project, reason=data.get("reason") or "")
            except (ValidationError, Conflict) as error:
                add_refusal(self, error)
            # The previous figure is the project's now; the service reads it again on saving.
            self.instance.previous_investment = project.planned_investment
        return data


class DecisionForm(forms.Form):
    decided_on = forms.DateField(label=capfirst(_("decided on")))
    document_number = forms.CharField(
        label=capfirst(_("document number")), max_length=100, required=False
    )
    comment = forms.CharField(
        label=capfirst(_("decision comment")),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )


@admin.register(PlanAdjustment)
class PlanAdjustmentAdmin(admin.ModelAdmin):
    form = PlanAdjustmentForm
    list_display = [
        "project",
        "planned_investment_cny",
        "previous_investment_cny",
        "status",
        "requested_at",
        "decided_on",
    ]
    planned_investment_cny = money_column("planned_investment", _("planned investment (CNY)"))
    previous_investment_cny = money_column(
        "previous_investment", _("planned investment before (CNY)")
    )
    list_filter = ["status"]
    search_fields = ["project__code", "document_number"]
    autocomplete_fields = ["project"]
    list_select_related = ["project"]
    readonly_fields = [
        "previous_investment",
        "status",
        "requested_at",
        "requested_by",
        "decided_on",
        "decided_at",
        "decided_by",
        "document_number",
        "decision_comment",
    ]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["project", "planned_investment", "scope", "reason", *self.readonly_fields]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["project", "planned_investment", "scope", "reason"]
        return super().get_fields(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        saved = lifecycle.request_adjustment(
            project=obj.project,
            planned_investment=obj.planned_investment,
            scope=obj.scope,
            reason=obj.reason,
            user=request.user,
        )
        obj.pk, obj.previous_investment, obj._state.adding = (
            saved.pk,
            saved.previous_investment,
            False,
        )

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        extra = dict(extra_context or {})
        if object_id is not None:
            adjustment = self.get_object(request, object_id)
            extra["can_decide"] = (
                adjustment is not None
                and adjustment.status == PlanAdjustment.Status.REQUESTED
                and request.user.has_perm(lifecycle.APPROVE)
            )
        return super().changeform_view(request, object_id, form_url, extra)

    def get_urls(self):
        decide = path(
            "<path:object_id>/decide/<str:decision>/",
            self.admin_site.admin_view(self.decide_view),
            name="projects_planadjustment_decide",
        )
        return [decide, *super().get_urls()]

    def decide_view(self, request, object_id, decision):
        adjustment = get_object_or_404(PlanAdjustment, pk=object_id)
        if decision not in ("approve", "reject") or not self.has_view_permission(
            request, adjustment
        ):
            raise PermissionDenied
        form = DecisionForm(request.POST or None, initial={"decided_on": timezone.localdate()})
        if request.method == "POST" and form.is_valid():
            try:
                lifecycle.decide_adjustment(
                    adjustment=adjustment,
                    approve=decision == "approve",
                    on=form.cleaned_data["decided_on"],
                    document_number=form.cleaned_data["document_number"],
                    comment=form.cleaned_data["comment"],
                    user=request.user,
                )
            except (ValidationError, Conflict, PermissionDenied) as error:
                add_refusal(form, error)
            else:
                self.message_user(request, gettext("Decision recorded."), messages.SUCCESS)
                return HttpResponseRedirect(
                    reverse("admin:projects_planadjustment_change", args=[adjustment.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Approve the plan adjustment")
            if decision == "approve"
            else gettext("Reject the plan adjustment"),
            "opts": self.opts,
            "original": adjustment,
            "form": form,
            "adjustment": adjustment,
        }
        return TemplateResponse(request, "admin/projects/planadjustment/decide.html", context)


@admin.register(WorkflowStep)
class WorkflowStepAdmin(ReadOnlyAdmin):
    list_display = ["project", "action", "date", "document_number", "actor_display", "at"]
    list_filter = ["action", "illustrative"]
    search_fields = ["project__code", "document_number"]
    list_select_related = ["project", "user", "api_key"]
