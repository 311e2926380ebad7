"""The editable words of the edition and alert emails, with a preview before saving."""

from types import SimpleNamespace

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.html import format_html, format_html_join

from subscriptions import emails
from subscriptions.models import EmailWording, MailingList
from subscriptions.templatetags.subscriptions_tags import wording_values


class EmailWordingForm(forms.ModelForm):
    class Meta:
        model = EmailWording
        fields = ["kind", *EmailWording.PARTS]


def sample_values(kind: str) -> dict[str, str]:
    """What the preview fills the placeholders with: the first email list, a sample issue
    and reader (the sending code fills in the real ones)."""
    mailing_list = MailingList.objects.email().first() or MailingList(name="JHOP e-Newsletter")
    return wording_values(
        kind,
        {
            **emails.site_context(),
            "mailing_list": mailing_list,
            "edition": SimpleNamespace(subject="JHOP Weekly: breast cancer", preheader=""),
            "issue": SimpleNamespace(label="JHOP - June 2022 Vol 12, No 3", title=""),
            "subscriber": SimpleNamespace(first_name="Meg"),
            "imported": False,
        },
    )


@admin.register(EmailWording)
class EmailWordingAdmin(admin.ModelAdmin):
    form = EmailWordingForm
    list_display = ["__str__", "subject", "updated_at"]
    readonly_fields = ["placeholders", "updated_at"]
    change_form_template = "admin/subscriptions/emailwording/change_form.html"

    def get_fields(self, request, obj=None):
        return ["kind", *EmailWording.PARTS, "placeholders", "updated_at"]

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "kind"] if obj else self.readonly_fields

    def get_changeform_initial_data(self, request):
        kind = request.GET.get("kind", EmailWording.Kind.EDITION)
        if kind not in EmailWording.DEFAULTS:
            kind = EmailWording.Kind.EDITION
        return {"kind": kind, **EmailWording.DEFAULTS[kind]}

    def has_add_permission(self, request):
        taken = set(EmailWording.objects.values_list("kind", flat=True))
        return super().has_add_permission(request) and taken != set(EmailWording.DEFAULTS)

    @admin.display(description="Placeholders")
    def placeholders(self, obj):
        kinds = [obj.kind] if obj and obj.kind else list(EmailWording.PLACEHOLDERS)
        return format_html_join(
            "",
            "<p><strong>{}</strong>: {}</p>",
            (
                (
                    EmailWording.Kind(kind).label,
                    "; ".join(
                        f"{{{{ {name} }}}}: {meaning}"
                        for name, meaning in EmailWording.PLACEHOLDERS[kind].items()
                    ),
                )
                for kind in kinds
            ),
        ) + format_html(
            "<p>{}</p>",
            "Nothing else between braces is allowed: no template tags or filters.",
        )

    def get_urls(self):
        preview = self.admin_site.admin_view(self.preview_view)
        return [
            path("preview/", preview, name="subscriptions_emailwording_preview"),
            *super().get_urls(),
        ]

    def preview_view(self, request):
        """The words as typed (not saved), filled in with sample values, or why they are
        refused. Saving is a separate button: a preview changes nothing."""
        if not (self.has_change_permission(request) or self.has_add_permission(request)):
            raise PermissionDenied
        if request.method != "POST":
            return redirect("admin:subscriptions_emailwording_changelist")
        data = request.POST.copy()
        pk = request.POST.get("pk", "")
        instance = EmailWording.objects.filter(pk=pk).first() if pk.isdigit() else None
        if instance is not None:
            data["kind"] = instance.kind
        form = EmailWordingForm(data, instance=instance)
        parts = []
        if form.is_valid():
            wording = form.save(commit=False)
            rendered = wording.render(sample_values(wording.kind))
            parts = [
                (EmailWording._meta.get_field(part).verbose_name.capitalize(), rendered[part])
                for part in EmailWording.PARTS
            ]
        context = {
            **self.admin_site.each_context(request),
            "title": "Preview of the email's words",
            "opts": self.model._meta,
            "form": form,
            "parts": parts,
        }
        status = 200 if form.is_valid() else 400
        return TemplateResponse(
            request, "admin/subscriptions/emailwording/preview.html", context, status=status
        )
