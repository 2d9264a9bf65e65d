from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from second_factor import services


class Command(BaseCommand):
    help = (
        "Removes a user's authenticator and recovery codes (a lost phone): at the next sign-in "
        "they set up a new one."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        User = get_user_model()
        try:
            user = User.objects.get_by_natural_key(username)
        except User.DoesNotExist:
            raise CommandError(f"No user is called {username!r}.") from None
        if services.reset_second_factor(user=user):
            self.stdout.write(f"{username} will set up a second factor at the next sign-in.")
        else:
            self.stdout.write(f"{username} had no second factor; nothing changed.")
