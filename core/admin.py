"""Admin pieces every app shares: read-only pages for records no one edits by hand, and the
upload page of a spreadsheet import."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from core.imports import Importer, Report


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


class ImportForm(forms.Form):
    """An upload for an importer: the file, and whether only to check it."""

    max_bytes = 10 * 1024 * 1024
    too_large = _("The file is larger than 10 MB; split it.")

    file = forms.FileField(
        label=_("File"),
        help_text=_("An Excel (.xlsx) or CSV (UTF-8) file laid out as the template."),
    )
    dry_run = forms.BooleanField(label=_("Only check the file; write nothing"), required=False)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > self.max_bytes:
            raise ValidationError(self.too_large)
        return upload


class ImportAdminMixin:
    """An upload page (`import/`) and the template's downloads (`import/template.xlsx`, `.csv`)
    for a model admin whose records also come from a spreadsheet, all through `importer`.

    Only staff who may add the model's records may import them or download the template."""

    importer: type[Importer]
    import_form: type[ImportForm] = ImportForm
    import_title: str
    import_filename: str  # the downloaded template's name, without its extension
    import_template = "admin/import.html"
    template_types = {
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "csv": "text/csv; charset=utf-8",
    }

    def get_importer(self, request, form) -> Importer:
        return self.importer()

    def checked_message(self, report: Report) -> str:
        """What a dry run of a file without problems would have written."""
        raise NotImplementedError

    def imported_message(self, report: Report, filename: str) -> str:
        raise NotImplementedError

    def import_summary(self, report: Report) -> list[str]:
        """Lines below the dry run's message, such as the sums per kind of row."""
        return []

    def import_notes(self) -> list[str]:
        """How to fill in the file, beyond the columns and the all-or-nothing rule."""
        return []

    def get_urls(self):
        name = f"{self.opts.app_label}_{self.opts.model_name}_import"
        view = self.admin_site.admin_view
        return [
            path("import/", view(self.import_view), name=name),
            *(
                path(
                    f"import/template.{format}",
                    view(self.import_template_view),
                    {"format": format},
                    name=f"{name}_template_{format}",
                )
                for format in self.template_types
            ),
            *super().get_urls(),
        ]

    def import_template_view(self, request, format):
        if not self.has_add_permission(request):
            raise PermissionDenied
        template = {"xlsx": self.importer.template_xlsx, "csv": self.importer.template_csv}
        response = HttpResponse(template[format](), content_type=self.template_types[format])
        response["Content-Disposition"] = f'attachment; filename="{self.import_filename}.{format}"'
        return response

    def import_view(self, request):
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
                return HttpResponseRedirect(
                    reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist")
                )
        name = f"admin:{self.opts.app_label}_{self.opts.model_name}_import_template"
        context = {
            **self.admin_site.each_context(request),
            "title": self.import_title,
            "opts": self.opts,
            "form": form,
            "report": report,
            "checked": self.checked_message(report) if report and report.ok else "",
            "summary": self.import_summary(report) if report and report.ok else [],
            "template_urls": [
                (format, reverse(f"{name}_{format}")) for format in self.template_types
            ],
            "columns": self.importer.headers(),
            "notes": self.import_notes(),
        }
        return TemplateResponse(request, self.import_template, context)
