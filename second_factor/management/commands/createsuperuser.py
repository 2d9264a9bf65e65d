from django.contrib.auth.management.commands.createsuperuser import Command as CreateSuperuser


class Command(CreateSuperuser):
    """Django's createsuperuser, then what the first sign-in asks for."""

    help = f"{CreateSuperuser.help} The first sign-in at /admin/ sets up a second factor."

    def handle(self, *args, **options):
        super().handle(*args, **options)
        if options["verbosity"] >= 1:
            self.stdout.write(
                "Sign in at /admin/. The first sign-in sets up a second factor: scan the QR code "
                "with an authenticator app that supports TOTP codes (Google or Microsoft "
                "Authenticator, FreeOTP, Aegis, 1Password...), type the six-digit code it shows, "
                "and keep the ten recovery codes shown. Later sign-ins ask for the password, then "
                "a code."
            )
