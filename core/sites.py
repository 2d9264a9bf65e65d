"""The admin site: Django's, with the staff desk beside its index, so the desk sits in the
admin's namespace (`admin:desk`) and is guarded like every admin page, second factor included."""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.urls import URLPattern, URLResolver, path

from core.desks import desk_view


class PortalAdminSite(admin.AdminSite):
    def get_urls(self) -> list[URLResolver | URLPattern]:
        return [path("desk/", self.admin_view(desk_view), name="desk"), *super().get_urls()]


class PortalAdminConfig(AdminConfig):
    default_site = "core.sites.PortalAdminSite"
