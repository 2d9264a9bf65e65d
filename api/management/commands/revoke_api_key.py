from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from api.keys import KEY_PREFIX, revoke_api_key
from api.models import ApiKey


class Command(BaseCommand):
    help = "Revoke an API key at once, by its prefix (the part after ap_ and before the dot)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("prefix")

    def handle(self, *args: Any, prefix: str, **options: Any) -> None:
        prefix = prefix.removeprefix(KEY_PREFIX).split(".", 1)[0]
        key = ApiKey.objects.select_related("organisation").filter(prefix=prefix).first()
        if key is None:
            raise CommandError(f"No key has the prefix {prefix!r}.")
        revoke_api_key(key=key)
        self.stdout.write(f"Revoked {key}.")
