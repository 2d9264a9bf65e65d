import datetime

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from aidportal.api.keys import issue_api_key
from aidportal.api.models import ApiKey
from reference.models import Organisation


class Command(BaseCommand):
    help = (
        "Create an API key for a partner organisation; the key is printed alone on the last line."
    )

    def add_arguments(self, parser):
        parser.add_argument("organisation", help="The organisation's code.")
        parser.add_argument("--name", default="", help="What the key is for.")
        parser.add_argument("--scope", choices=ApiKey.Scope.values, default=ApiKey.Scope.READ)
        parser.add_argument("--expires", help="Last day the key works, YYYY-MM-DD.")

    def handle(self, *args, organisation, name, scope, expires, **options):
        owner = Organisation.objects.filter(code=organisation).first()
        if owner is None:
            raise CommandError(f"No organisation has the code {organisation!r}.")
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
                name=name or f"{owner.code} {scope} key",
                scope=scope,
                expires_on=expires_on,
            )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        self.stderr.write(
            f"Key {key.prefix} for {owner.code} ({key.get_scope_display()}"
            + (f", until {expires_on}" if expires_on else "")
            + "). It is shown this once:"
        )
        self.stdout.write(raw)
