"""Crossref and JATS in the admin: export state, DOI registration, the deposits' record,
and the indexing exports (PubMed, DOAJ) of an issue."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join

from articles.admin.common import log_list_action
from articles.models import CrossrefDeposit
from articles.scholarly import indexing, registration


class ExportStateFilter(admin.SimpleListFilter):
    title = "Crossref/JATS export"
    parameter_name = "export"

    def lookups(self, request, model_admin):
        return [("problems", "Has problems"), ("valid", "Valid"), ("unchecked", "Not checked")]

    def queryset(self, request, queryset):
        if self.value() == "problems":
            return queryset.exclude(export_problems="")
        if self.value() == "valid":
            return queryset.filter(export_problems="", export_checked_at__isnull=False)
        if self.value() == "unchecked":
            return queryset.filter(export_checked_at__isnull=True)
        return queryset


def export_state(article) -> str:
    if article.export_problems:
        count = len(article.export_problems.splitlines())
        return f"{count} problem{'s' if count > 1 else ''}"
    return "Valid" if article.export_checked_at else "Not checked"


def export_report(article):
    if not article.export_checked_at:
        return "Checked when the article is published."
    if not article.export_problems:
        return "The Crossref and JATS records validate."
    return format_html_join(
        "", "<p>{}</p>", ((line,) for line in article.export_problems.splitlines())
    )


def deposits_table(obj):
    """The Crossref deposits of an issue or article, newest first, as a small table."""
    deposits = list(obj.crossref_deposits.all()[:20]) if obj and obj.pk else []
    if not deposits:
        return "None yet: use the list's action “Register DOIs with Crossref”."
    rows = format_html_join(
        "",
        '<tr><td><a href="{}">{}</a></td><td>{}</td><td>{}</td><td>{}</td></tr>',
        (
            (
                reverse("admin:articles_crossrefdeposit_change", args=[d.pk]),
                d.batch_id,
                d.get_state_display(),
                date_format(timezone.localtime(d.created_at), "M j, Y H:i"),
                d.message,
            )
            for d in deposits
        ),
    )
    return format_html(
        "<table><thead><tr><th>Batch</th><th>State</th><th>Requested</th>"
        "<th>Crossref's message</th></tr></thead><tbody>{}</tbody></table>",
        rows,
    )


def register_dois(model_admin, request, queryset, *, kind: str) -> None:
    """Queue one Crossref deposit per selected issue or article."""
    queued = 0
    for obj in queryset:
        try:
            registration.request_registration(**{kind: obj}, user=request.user)
        except ValidationError as error:
            for message in error.messages:
                model_admin.message_user(request, message, messages.ERROR)
        else:
            queued += 1
            log_list_action(request, [obj], "DOI registration sent to Crossref from the list")
    if queued:
        model_admin.message_user(
            request,
            f"{queued} deposit(s) sent to Crossref in the background; "
            "their state is shown on each page under “Crossref deposits”.",
            messages.SUCCESS,
        )


def download_export(model_admin, request, queryset, export: indexing.Export):
    """The selected issue's file for an index, as a download; a message when refused."""
    if queryset.count() != 1:
        model_admin.message_user(
            request,
            f"Select one issue: {export.name} takes one file per issue.",
            messages.ERROR,
        )
        return None
    issue = queryset.select_related("journal").get()
    try:
        content = export.render(issue)
    except ValidationError as error:
        for message in error.messages:
            model_admin.message_user(request, message, messages.ERROR)
        return None
    response = HttpResponse(content, content_type="application/xml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{export.download_name(issue)}"'
    return response


@admin.register(CrossrefDeposit)
class CrossrefDepositAdmin(admin.ModelAdmin):
    list_display = [
        "batch_id",
        "issue",
        "article",
        "state",
        "attempts",
        "next_attempt_at",
        "created_at",
    ]
    list_filter = ["state"]
    list_select_related = ["issue__journal", "article"]
    search_fields = ["batch_id", "article__title", "issue__title", "message"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "batch_id",
        "issue",
        "article",
        "state",
        "message",
        "attempts",
        "requested_by",
        "submitted_at",
        "result_checks",
        "next_attempt_at",
        "created_at",
        "updated_at",
        "document",
    ]
    actions = ["check_results"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description="Ask Crossref for the result of submitted deposits")
    def check_results(self, request, queryset):
        states = []
        for deposit in queryset.filter(state=CrossrefDeposit.State.SUBMITTED):
            states.append(result := registration.check_result(deposit=deposit))
            log_list_action(request, [deposit], f"Result asked of Crossref from the list: {result}")
        self.message_user(
            request,
            f"{states.count('succeeded')} succeeded, {states.count('failed')} failed, "
            f"{states.count('submitted')} still waiting for Crossref.",
        )
