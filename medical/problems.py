"""The API problem types the medical services raise (api.problems gathers every app's)."""

from django.utils.translation import gettext_lazy as _

PROBLEM_TYPES = {
    "invalid-transition": _(
        "The record's status does not allow this step (for example delivering a claim that "
        "was never started, or verifying one twice). `detail` names the status and the "
        "steps it allows. Nothing was written."
    ),
    "claim-refused": _(
        "The item cannot be claimed: your organisation is not on the programme's donor side "
        "(the donor organisation or one under it) or issued the list, the list is not "
        "published or is closed, the claim deadline has passed, every place on the item is "
        "taken, or your organisation already holds a claim on it. `detail` says which. "
        "Nothing was written."
    ),
}
