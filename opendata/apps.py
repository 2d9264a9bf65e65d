from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpendataConfig(AppConfig):
    """Open data for other systems: the IATI export and the bulk downloads. It reads the domain
    apps' published records through their selectors and writes only the XLSX files the worker
    builds of them, with their records (opendata.exports)."""

    name = "opendata"
    verbose_name = _("Open data")
