"""Admin pieces every app shares: read-only pages for records no one edits by hand, the upload
page of a spreadsheet import, money shown grouped to two decimals, and permissions named in the
reader's language."""

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django import forms
from django.apps import apps
from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Model
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.imports import Importer, Report

if TYPE_CHECKING:
    from django.db.models import ManyToManyField
    from django.utils.functional import _StrOrPromise

    ModelAdmin = admin.ModelAdmin[Any]
    TabularInline = admin.TabularInline[Any, Any]
else:
    # The stubs' generic admin classes cannot be subscripted at run time.
    ModelAdmin = admin.ModelAdmin
    TabularInline = admin.TabularInline


def money(value: Decimal | None) -> str:
    # Grouped by commas in both languages: Django's Chinese formats group no digits at all.
    return "—" if value is None else f"{value:,.2f}"


def money_column(name: str, description: "_StrOrPromise") -> Callable[[Any, Model], str]:
    """A list or inline column showing a money field grouped, to two decimals."""

    @admin.display(description=description, ordering=name)
    def column(self: Any, obj: Model) -> str:
        return money(getattr(obj, name))

    return column


DEFAULT_PERMISSIONS = {
    "add": _("Can add %(name)s"),
    "change": _("Can change %(name)s"),
    "delete": _("Can delete %(name)s"),
    "view": _("Can view %(name)s"),
}


def permission_label(permission: Permission) -> str:
    """A permission as a role's editor reads it: Django stores its name once, in English, built
    from the model's untranslated name, so the label is rebuilt from the translated names."""
    model = permission.content_type.model_class()
    if model is None:
        return str(permission)
    # A change history (django-simple-history) is named after the model it records.
    recorded = getattr(model, "instance_type", None)
    # gettext: third-party apps (django-otp) give plain strings, translated in our catalog.
    model_name = (
        gettext("historical %(name)s") % {"name": gettext(str(recorded._meta.verbose_name))}
        if recorded is not None
        else gettext(str(model._meta.verbose_name))
    )
    action, _separator, codename_model = permission.codename.partition("_")
    if action in DEFAULT_PERMISSIONS and codename_model == model._meta.model_name:
        name = DEFAULT_PERMISSIONS[action] % {"name": model_name}
    elif permission.codename in dict(model._meta.permissions):
        # Declared with a translatable name: a flush re-creates the row in whatever language
        # is active then, so the declaration, not the row, gives the name.
        name = str(dict(model._meta.permissions)[permission.codename])
    else:
        name = gettext(permission.name)
    app_name = apps.get_app_config(model._meta.app_label).verbose_name
    return f"{app_name} | {model_name} | {name}"


class PermissionLabelsMixin(ModelAdmin):
    """Lists permissions by their labels in the reader's language (users' and groups' pages)."""

    def formfield_for_manytomany(
        self,
        db_field: "ManyToManyField[Any, Any]",
        request: HttpRequest | None = None,
        **kwargs: Any,
    ) -> "forms.ModelMultipleChoiceField[Any] | None":
        field = super().formfield_for_manytomany(db_field, request, **kwargs)  # type: ignore[arg-type]  # the auth admins' own signature allows no request
        if field is not None and db_field.related_model is Permission:
            field.label_from_instance = permission_label  # type: ignore[assignment]  # a function of the permission alone
        return field


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(PermissionLabelsMixin, BaseGroupAdmin):
    pass


class ReadOnlyAdmin(ModelAdmin):
    """A record written only by a service (an approval, a transition, an audit entry): staff
    read it, nobody adds, changes or deletes it here."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class ReadOnlyInline(TabularInline):
    """Related records shown on their parent's page, read-only."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class ImportForm(forms.Form):
    """An upload for an importer: the file, and whether only to check it."""

    max_bytes = 10 * 1024 * 1024
    too_large = _("The file is larger than 10 MB; split it.")

    file = forms.FileField(
        label=_("File"),
        help_text=_("An Excel (.xlsx) or CSV (UTF-8) file laid out as the template."),
    )
    dry_run = forms.BooleanField(label=_("Only check the file; write nothing"), required=False)

    def clean_file(self) -> "UploadedFile[bytes]":
        upload: UploadedFile[bytes] = self.cleaned_data["file"]
        if (upload.size or 0) > self.max_bytes:
            raise ValidationError(self.too_large)
        return upload


class ImportAdminMixin(ModelAdmin):
    """An upload page (`import/`) and the template's downloads (`import/template.xlsx`, `.csv`)
    for a model admin whose records also come from a spreadsheet, all through `importer`.

    Only staff who may add the model's records may import them or download the template."""

    importer: type[Importer[Any]]
    import_form: type[ImportForm] = ImportForm
    import_title: "_StrOrPromise"
    import_filename: str  # the downloaded template's name, without its extension
    import_template = "admin/import.html"
    template_types = {
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "csv": "text/csv; charset=utf-8",
    }

    def get_importer(self, request: HttpRequest, form: ImportForm) -> Importer[Any]:
        return self.importer()

    def checked_message(self, report: Report[Any]) -> str:
        """What a dry run of a file without problems would have written."""
        raise NotImplementedError

    def imported_message(self, report: Report[Any], filename: str) -> str:
        raise NotImplementedError

    def import_summary(self, report: Report[Any]) -> list[str]:
        """Lines below the dry run's message, such as the sums per kind of row."""
        return []

    def import_notes(self) -> list[str]:
        """How to fill in the file, beyond the columns and the all-or-nothing rule."""
        return []

    def _import_url_name(self, view: str) -> str:
        return f"{self.opts.app_label}_{self.opts.model_name}_{view}"

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path("import/", view(self.import_view), name=self._import_url_name("import")),
            *(
                path(
                    f"import/template.{format}",
                    view(self.import_template_view),
                    {"format": format},
                    name=self._import_url_name(f"import_template_{format}"),
                )
                for format in self.template_types
            ),
            *super().get_urls(),
        ]

    def import_template_view(self, request: HttpRequest, format: str) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        template = {"xlsx": self.importer.template_xlsx, "csv": self.importer.template_csv}
        response = HttpResponse(template[format](), content_type=self.template_types[format])
        response["Content-Disposition"] = f'attachment; filename="{self.import_filename}.{format}"'
        return response

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = self.import_form(request.POST or None, request.FILES or None)
        report = None
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            report = self.get_importer(request, form).run(
                upload.read(), upload.name, dry_run=form.cleaned_data["dry_run"]
            )
            if report.written:
                self.message_user(
                    request, self.imported_message(report, upload.name), messages.SUCCESS
                )
                return HttpResponseRedirect(reverse(f"admin:{self._import_url_name('changelist')}"))
        context = {
            **self.admin_site.each_context(request),
            "title": self.import_title,
            "opts": self.opts,
            "form": form,
            "report": report,
            "checked": self.checked_message(report) if report and report.ok else "",
            "summary": self.import_summary(report) if report and report.ok else [],
            "template_urls": [
                (format, reverse(f"admin:{self._import_url_name(f'import_template_{format}')}"))
                for format in self.template_types
            ],
            "columns": self.importer.headers(),
            "notes": self.import_notes(),
        }
        return TemplateResponse(request, self.import_template, context)
