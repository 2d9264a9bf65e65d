import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from api.capabilities import CAPABILITIES
from api.keys import issue_api_key
from reference.models import Organisation


class Command(BaseCommand):
    help = (
        "Create an API key for a partner organisation; the key is printed alone on the last line. "
        "It reads, and writes only what each --capability grants."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("organisation", help="The organisation's code.")
        parser.add_argument("--name", default="", help="What the key is for.")
        parser.add_argument(
            "--capability",
            action="append",
            default=[],
            choices=list(CAPABILITIES),
            dest="capabilities",
            help="A capability to grant; repeat for several. None: the key only reads.",
        )
        parser.add_argument(
            "--granted-by",
            help="Username of the staff member granting the capabilities; funding:entries "
            "needs a finance approver.",
        )
        parser.add_argument("--expires", help="Last day the key works, YYYY-MM-DD.")

    def handle(
        self,
        *args: Any,
        organisation: str,
        name: str,
        capabilities: list[str],
        granted_by: str | None,
        expires: str | None,
        **options: Any,
    ) -> None:
        owner = Organisation.objects.filter(code=organisation).first()
        if owner is None:
            raise CommandError(f"No organisation has the code {organisation!r}.")
        grantor = None
        if granted_by:
            grantor = get_user_model().objects.filter(username=granted_by, is_active=True).first()
            if grantor is None:
                raise CommandError(f"No active user has the username {granted_by!r}.")
        expires_on = None
        if expires:
            try:
                expires_on = datetime.date.fromisoformat(expires)
            except ValueError:
                raise CommandError(
                    f"--expires takes a date as YYYY-MM-DD, not {expires!r}."
                ) from None
        try:
            key, raw = issue_api_key(
                organisation=owner,
                name=name or f"{owner.code} key",
                capabilities=capabilities,
                expires_on=expires_on,
                granted_by=grantor,
            )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        granted = ", ".join(sorted(key.capability_codes)) or "read only"
        self.stderr.write(
            f"Key {key.prefix} for {owner.code} ({granted}"
            + (f", until {expires_on}" if expires_on else "")
            + "). It is shown this once:"
        )
        self.stdout.write(raw)
