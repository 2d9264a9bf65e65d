"""What a partner key may do beyond reading public data: capabilities granted one by one, none
by default.

Each write endpoint names the one capability it needs (`required_capability` on the view), and
`PortalPermission` checks it, so the rule lives in one place. A capability whose grant needs a
staff permission (`grant_permission`) is given only by a user who holds that permission, and the
key records who did.
"""

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

UPDATES_WRITE = "updates:write"
MEDICAL_CLAIM = "medical:claim"
EDUCATION_RESULTS = "education:results"
FUNDING_ENTRIES = "funding:entries"
WEBHOOKS_MANAGE = "webhooks:manage"
PROJECTS_WORKFLOW = "projects:workflow"
INSPECTIONS_READ = "inspections:read"


@dataclass(frozen=True)
class Capability:
    code: str
    label: "StrOrPromise"
    grant_permission: str | None = None
    # Why a user without the grant permission is refused, naming who may grant it (%(code)s).
    grant_refusal: "StrOrPromise" = ""


CAPABILITIES = {
    capability.code: capability
    for capability in (
        Capability(UPDATES_WRITE, _("Post and edit its own progress updates")),
        Capability(MEDICAL_CLAIM, _("Claim open-call items, report progress and deliver")),
        Capability(EDUCATION_RESULTS, _("Post exam results of its own classes")),
        # Money reaches the public totals: only a finance approver grants it.
        Capability(
            FUNDING_ENTRIES,
            _("Post funding ledger entries for its own role in a project"),
            grant_permission="funding.approve_disbursement",
            grant_refusal=_("Only a finance approver may grant %(code)s."),
        ),
        Capability(WEBHOOKS_MANAGE, _("Register and change its own organisation's webhooks")),
        Capability(
            PROJECTS_WORKFLOW,
            _("Submit or withdraw its projects' proposals and report their start and completion"),
        ),
        # Findings name shortcomings: only staff who may view inspections grant reading them.
        Capability(
            INSPECTIONS_READ,
            _("Read the inspections and findings of its own projects"),
            grant_permission="projects.view_inspection",
            grant_refusal=_("Only staff who may view inspections may grant %(code)s."),
        ),
    )
}


def choices() -> list[tuple[str, "StrOrPromise"]]:
    return [
        (code, format_lazy("{} · {}", code, capability.label))
        for code, capability in CAPABILITIES.items()
    ]


def needs_grantor(code: str) -> bool:
    return CAPABILITIES[code].grant_permission is not None
