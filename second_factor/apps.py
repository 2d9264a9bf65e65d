from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SecondFactorConfig(AppConfig):
    """The staff sign-in's second step (TOTP and recovery codes), below the API platform, whose
    session authentication asks it whether a sign-in is complete; it imports no app of this
    project."""

    name = "second_factor"
    verbose_name = _("Second factor")
