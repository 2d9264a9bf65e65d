"""Admin pieces every app shares: read-only pages for records no one edits by hand."""

from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """A record written only by a service (an approval, a transition, an audit entry): staff
    read it, nobody adds, changes or deletes it here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    """Related records shown on their parent's page, read-only."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
