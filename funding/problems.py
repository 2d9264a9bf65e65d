"""The API problem types funding raises (api.problems gathers every app's)."""

from django.utils.translation import gettext_lazy as _

PROBLEM_TYPES = {
    "beyond-arrivals": _(
        "The change would leave more disbursed (拨付) than arrived (到位) for the project, "
        "disbursements awaiting approval included: a disbursement larger than the funds not yet "
        "disbursed, or reversing an arrival that disbursements rely on. Nothing was written. "
        "Record the arrival first; finance staff allowed to go beyond arrivals may record a "
        "disbursement with a reason (funds in transit)."
    ),
}
