"""The API problem types the projects services raise (api.problems gathers every app's)."""

from django.utils.translation import gettext_lazy as _

PROBLEM_TYPES = {
    "workflow-step-refused": _(
        "The project's lifecycle stage does not allow this step (for example starting a project "
        "that is not approved, or completing one twice), or a rule of the step refuses it now "
        "(approval before both sides agree; one person reviewing and approving the same "
        "project). `detail` names the stage and the steps it allows. Nothing was written."
    ),
}
