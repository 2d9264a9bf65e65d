"""Third-party apps under the names staff read in the admin (its sections and permissions)."""

from axes.apps import AppConfig as BaseAxesConfig
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.apps import DefaultConfig as BaseStaticConfig
from django_otp.plugins.otp_totp.apps import DefaultConfig as BaseTOTPConfig


class AxesConfig(BaseAxesConfig):
    verbose_name = _("Sign-in lockouts")


class TOTPConfig(BaseTOTPConfig):
    verbose_name = _("Authenticator apps")


class StaticConfig(BaseStaticConfig):
    verbose_name = _("Recovery codes")
