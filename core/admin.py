"""Admin pieces every app shares: read-only pages for records no one edits by hand, the upload
page of a spreadsheet import, money shown grouped to two decimals, and permissions named in the
reader's language."""

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.apps import apps
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core import jobs
from core.imports import Importer, Report
from core.models import ImportJob

if TYPE_CHECKING:
    from django.contrib.auth.models import User
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
    # Files above IMPORT_BACKGROUND_BYTES go to the worker (core.jobs); the importer must then
    # be one `Importer.for_user` makes.
    background_imports = False
    template_types = {
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "csv": "text/csv; charset=utf-8",
    }

    def get_importer(self, request: HttpRequest, form: ImportForm) -> Importer[Any]:
        """The importer of the file this user sent: the same one a background job builds."""
        return self.importer.for_user(request.user)

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
            if self.background_imports and (upload.size or 0) > settings.IMPORT_BACKGROUND_BYTES:
                job = jobs.start_import(
                    importer=self.importer,
                    content=upload.read(),
                    filename=upload.name or "",
                    started_by=cast("User", request.user),  # the admin signs in staff only
                    dry_run=form.cleaned_data["dry_run"],
                )
                self.message_user(
                    request,
                    gettext(
                        "The file is large: the worker imports it in the background, all rows "
                        "or none. This page shows how far it has got."
                    ),
                    messages.INFO,
                )
                return HttpResponseRedirect(reverse("admin:core_importjob_change", args=[job.pk]))
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
            "background_kib": (
                settings.IMPORT_BACKGROUND_BYTES // 1024 if self.background_imports else None
            ),
        }
        return TemplateResponse(request, self.import_template, context)


@admin.register(ImportJob)
class ImportJobAdmin(ReadOnlyAdmin):
    """Imports run in the background: their progress and, when refused, every problem by row
    and column. Staff see the jobs of the records they may import, and nothing else."""

    list_display = ["created_at", "filename", "records", "created_by", "status", "progress"]
    list_filter = ["status"]
    fields = [
        "records",
        "filename",
        "size",
        "created_by",
        "created_at",
        "dry_run",
        "status",
        "progress",
        "rows_written",
        "started_at",
        "finished_at",
        "report",
    ]
    readonly_fields = fields  # type: ignore[assignment]  # the same names, all read-only
    change_form_template = "admin/core/importjob/change_form.html"

    def get_queryset(self, request: HttpRequest) -> "QuerySet[ImportJob]":
        # The admin signs in staff users only.
        return jobs.visible_jobs(cast("User", request.user)).select_related("created_by")

    def _import_permissions(self) -> set[str]:
        return {
            jobs.import_permission(model_admin.importer)
            for model_admin in self.admin_site._registry.values()
            if isinstance(model_admin, ImportAdminMixin) and model_admin.background_imports
        }

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        user = request.user
        if isinstance(obj, ImportJob):
            return user.has_perm(obj.permission)
        return any(user.has_perm(permission) for permission in self._import_permissions())

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    @admin.display(description=_("records"))
    def records(self, obj: ImportJob) -> str:
        return obj.records

    @admin.display(description=_("rows checked"))
    def progress(self, obj: ImportJob) -> str:
        return gettext("%(checked)s of %(total)s") % {
            "checked": f"{obj.rows_checked:,}",
            "total": f"{obj.rows_total:,}" if obj.rows_total else "…",
        }

    @admin.display(description=_("problems"))
    def report(self, obj: ImportJob) -> str:
        if not obj.problems:
            return "—"
        return format_html(
            '<table id="import-problems"><thead><tr><th scope="col">{}</th><th scope="col">{}'
            '</th><th scope="col">{}</th></tr></thead><tbody>{}</tbody></table>',
            gettext("row"),
            gettext("column"),
            gettext("problem"),
            format_html_join(
                "",
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                ((row or "—", column or "—", message) for row, column, message in obj.problems),
            ),
        )
