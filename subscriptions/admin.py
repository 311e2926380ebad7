import json
from contextlib import suppress
from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import CharField, Count, Exists, OuterRef, Q
from django.db.models.expressions import RawSQL
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone

from articles.admin.shared import LargeTablePaginator, PlainActionCheckbox, search_words
from articles.models import Issue
from subscriptions import (
    charts,
    editions_admin,  # also registers the newsletter editions
    emails,
    exports,
    reports,
    sending,
    services,
    wording_admin,  # noqa: F401 (registers the editable email templates)
)
from subscriptions.forms import ADDRESS_FIELDS, ImportUploadForm
from subscriptions.models import (
    PRINT_QUALIFICATION_PERIOD,
    AuditEntry,
    ConsentEvent,
    ConsentText,
    DeliveryEvent,
    IssueAlert,
    MailingList,
    OutboundEmail,
    PendingImport,
    Subscriber,
    Subscription,
    Suppression,
    normalise_email,
)
from subscriptions.services import RequestMeta, audit
from subscriptions.services.bulk import recipient_count


def require(request, *perms: str) -> None:
    if not request.user.has_perms([f"subscriptions.{p}" for p in perms]):
        raise PermissionDenied


@admin.register(MailingList)
class MailingListAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "is_active", "position", "active_subscribers"]
    list_editable = ["is_active", "position"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}

    def view_on_site(self, obj):
        """An email list's public archive of editions (print lists have none)."""
        return obj.get_absolute_url() if obj.kind == MailingList.Kind.EMAIL else None

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                active_count=Count(
                    "subscriptions", filter=Q(subscriptions__status=Subscription.Status.ACTIVE)
                )
            )
        )

    @admin.display(description="Active subscribers", ordering="active_count")
    def active_subscribers(self, obj):
        return obj.active_count

    def get_urls(self):
        growth = self.admin_site.admin_view(self.growth_view)
        return [
            path("growth/", growth, name="subscriptions_mailinglist_growth"),
            *super().get_urls(),
        ]

    def growth_view(self, request):
        """List growth per week, per list: a chart drawn on the server, and its table."""
        require(request, "view_mailinglist", "view_subscriber")
        try:
            weeks = min(max(int(request.GET.get("weeks", 12)), 2), 104)
        except ValueError:
            weeks = 12
        lists = reports.weekly_growth(weeks=weeks)
        for growth in lists:
            growth.chart = charts.growth_chart(
                growth.weeks,
                growth.series,
                title=f"{growth.mailing_list}: signups, confirmations, unsubscribes, "
                f"bounces and complaints per week, last {weeks} weeks",
            )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "List growth per week",
            "lists": lists,
            "weeks": weeks,
        }
        return TemplateResponse(request, "admin/subscriptions/mailinglist/growth.html", context)


@admin.register(ConsentText)
class ConsentTextAdmin(admin.ModelAdmin):
    list_display = ["version", "created_at", "excerpt"]
    date_hierarchy = "created_at"

    def get_readonly_fields(self, request, obj=None):
        # A version people have seen is evidence: change the text by adding a new version.
        return ["version", "body", "created_at"] if obj else ["created_at"]

    def get_changeform_initial_data(self, request):
        latest = ConsentText.objects.order_by("-version").first()
        return {
            "version": latest.version + 1 if latest else 1,
            "body": latest.body if latest else "",
        }

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Text")
    def excerpt(self, obj):
        return obj.body[:120]


class SubscriptionInline(admin.TabularInline):
    model = Subscription
    extra = 0
    can_delete = False
    fields = [
        "mailing_list",
        "status",
        "requested_at",
        "confirmed_at",
        "unsubscribed_at",
        "qualified_at",
    ]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class ConsentEventInline(admin.TabularInline):
    model = ConsentEvent
    extra = 0
    can_delete = False
    fields = [
        "created_at",
        "kind",
        "source",
        "lists",
        "edition",
        "consent_text",
        "source_url",
        "ip_address",
        "user_agent",
        "actor",
        "details",
    ]
    readonly_fields = fields
    ordering = ["created_at", "pk"]
    verbose_name_plural = "History (read-only)"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("consent_text", "edition")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ListFilter(admin.SimpleListFilter):
    title = "list and status"
    parameter_name = "subscription"

    def lookups(self, request, model_admin):
        return [
            (f"{m.pk}:{status}", f"{m.name}: {label}")
            for m in MailingList.objects.all()
            for status, label in Subscription.Status.choices
        ]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        list_id, _, status = self.value().partition(":")
        return queryset.filter(
            Exists(
                Subscription.objects.filter(
                    subscriber=OuterRef("pk"), mailing_list_id=list_id, status=status
                )
            )
        )


class ConfirmedFilter(admin.SimpleListFilter):
    title = "confirmed"
    parameter_name = "confirmed"

    def lookups(self, request, model_admin):
        return [("yes", "Confirmed"), ("no", "Never confirmed")]

    def queryset(self, request, queryset):
        confirmed = Exists(
            Subscription.objects.filter(subscriber=OuterRef("pk"), confirmed_at__isnull=False)
        )
        if self.value() == "yes":
            return queryset.filter(confirmed)
        if self.value() == "no":
            return queryset.exclude(confirmed)
        return queryset


class RequalifyFilter(admin.SimpleListFilter):
    title = "print re-qualification"
    parameter_name = "requalify"

    def lookups(self, request, model_admin):
        years = PRINT_QUALIFICATION_PERIOD.days // 365
        return [("due", f"Due (last request over {years} years ago or unknown)")]

    def queryset(self, request, queryset):
        if self.value() == "due":
            due = Subscription.objects.needing_requalification().filter(subscriber=OuterRef("pk"))
            return queryset.filter(Exists(due))
        return queryset


class ErasedFilter(admin.SimpleListFilter):
    title = "erased"
    parameter_name = "erased"

    def lookups(self, request, model_admin):
        return [("no", "Not erased"), ("yes", "Erased")]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.filter(erased_at__isnull=True)
        if self.value() == "yes":
            return queryset.filter(erased_at__isnull=False)
        return queryset


class SubscriberAdminForm(forms.ModelForm):
    class Meta:
        model = Subscriber
        fields = ["email"]  # the admin adds the fieldsets' fields

    def clean_email(self):
        email = self.cleaned_data.get("email", "")
        unchanged = self.instance.pk and self.instance.email.lower() == email.lower()
        suppressed = email and Suppression.objects.matching(normalise_email(email)).exists()
        if email and not unchanged and suppressed:
            raise forms.ValidationError(
                "This address was erased on request. Only its owner can subscribe it "
                "again, from the signup form."
            )
        return email

    def clean(self):
        cleaned = super().clean()
        receives_print = (
            self.instance.pk and self.instance.subscriptions.current().print_lists().exists()
        )
        if receives_print:
            for name in ADDRESS_FIELDS:
                if name in self.fields and not cleaned.get(name) and name not in self.errors:
                    self.add_error(name, "Needed: this person receives the print edition.")
        return cleaned


# What the search box matches: a word anywhere in any of these fields. One expression, so
# that one trigram index (migration 0009, on PostgreSQL) serves every search; it must stay
# the same text as the index's.
SUBSCRIBER_SEARCH_TEXT = (
    'UPPER("subscriptions_subscriber"."email" || \' \' || "subscriptions_subscriber"."first_name"'
    " || ' ' || \"subscriptions_subscriber\".\"last_name\" || ' ' || "
    '"subscriptions_subscriber"."organization" || \' \' || "subscriptions_subscriber"."postal_code"'
    ' || \' \' || "subscriptions_subscriber"."city")'
)


@admin.register(Subscriber)
class SubscriberAdmin(PlainActionCheckbox, admin.ModelAdmin):
    form = SubscriberAdminForm
    # 100,000 subscribers: no count of the whole table on each page.
    paginator = LargeTablePaginator
    show_full_result_count = False
    list_display = [
        "__str__",
        "full_name",
        "profession",
        "organization",
        "country_name",
        "list_statuses",
        "email_problem",
        "created_at",
    ]
    list_filter = [
        ListFilter,
        "email_problem",
        ConfirmedFilter,
        RequalifyFilter,
        "profession",
        "country",
        ErasedFilter,
        # Not a date hierarchy: that lists the months with a DISTINCT over every subscriber.
        "created_at",
    ]
    # Email, names, organization, postal code or city: see get_search_results.
    search_fields = ["email"]
    readonly_fields = ["email_problem", "email_problem_at", "created_at", "updated_at", "erased_at"]
    inlines = [SubscriptionInline, ConsentEventInline]
    actions = ["mark_bounced"]
    fieldsets = [
        (None, {"fields": ["email", "first_name", "last_name", "profession", "organization"]}),
        ("Email delivery", {"fields": ["email_problem", "email_problem_at"]}),
        (
            "Postal address",
            {
                "fields": [
                    "address_line1",
                    "address_line2",
                    "city",
                    "region",
                    "postal_code",
                    "country",
                ]
            },
        ),
        ("Record", {"fields": ["created_at", "updated_at", "erased_at"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("subscriptions__mailing_list")

    def get_search_results(self, request, queryset, search_term):
        """Each word anywhere in the email, name, organization, postal code or city."""
        # A constant (no input in it): Concat() would write an expression the index's
        # can't match (a COALESCE around each part).
        text = RawSQL(SUBSCRIBER_SEARCH_TEXT, [], output_field=CharField())  # noqa: S611
        for word in search_words(search_term):
            queryset = queryset.alias(search_text=text).filter(search_text__contains=word.upper())
        return queryset, False

    @admin.display(description="country", ordering="country")
    def country_name(self, obj):
        # The country's name, not its choice label: looking up a label rebuilds the
        # field's 250 choices for each row.
        return obj.country.name or self.get_empty_value_display()

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.erased_at:
            # What is left of an erased subscriber is evidence; nothing may be written back.
            return [f.name for f in Subscriber._meta.fields if f.name != "id"]
        return super().get_readonly_fields(request, obj)

    def has_delete_permission(self, request, obj=None):
        # Deleting would take the record of an unsubscribe with it, and a later import could
        # subscribe the person again: erasure keeps the fact and suppresses the address.
        return False

    @admin.display(description="Lists")
    def list_statuses(self, obj):
        parts = []
        for s in obj.subscriptions.all():
            flag = " — re-qualify" if s.needs_requalification else ""
            parts.append(f"{s.mailing_list.name}: {s.get_status_display()}{flag}")
        return "; ".join(parts) or "—"

    @admin.action(
        description="Mark email address as bounced (stop email; print continues)",
        permissions=["change"],
    )
    def mark_bounced(self, request, queryset):
        meta = RequestMeta.from_request(request)
        changed = sum(
            bool(services.mark_bounced(subscriber=s, meta=meta)) for s in queryset.not_erased()
        )
        self.message_user(request, f"{changed} subscriber(s) marked as bounced.")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and form.changed_data:
            services.record_admin_change(
                subscriber=obj, changed=form.changed_data, meta=RequestMeta.from_request(request)
            )

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("export/print/", wrap(self.export_print_view), name="subscriptions_export_print"),
            path(
                "export/newsletter/",
                wrap(self.export_newsletter_view),
                name="subscriptions_export_newsletter",
            ),
            path("import/", wrap(self.import_view), name="subscriptions_import"),
            path("<int:pk>/data.json", wrap(self.data_view), name="subscriptions_subscriber_data"),
            path("<int:pk>/erase/", wrap(self.erase_view), name="subscriptions_subscriber_erase"),
            *super().get_urls(),
        ]

    def export_print_view(self, request):
        require(request, "view_subscriber", "export_subscriber")
        rows = Subscription.objects.print_fulfilment().count()
        audit.record(
            request=request,
            action=audit.Action.EXPORT_PRINT,
            summary=f"Exported the print fulfilment list ({rows} rows)",
            rows=rows,
        )
        return exports.print_fulfilment_csv()

    def export_newsletter_view(self, request):
        require(request, "view_subscriber", "export_subscriber")
        rows = Subscription.objects.newsletter().count()
        audit.record(
            request=request,
            action=audit.Action.EXPORT_NEWSLETTER,
            summary=f"Exported the newsletter list ({rows} rows)",
            rows=rows,
        )
        return exports.newsletter_csv()

    def import_view(self, request):
        require(request, "add_subscriber", "change_subscriber", "import_subscriber")
        form = ImportUploadForm(request.POST or None, request.FILES or None)
        report = kept = None
        if request.method == "POST" and form.is_valid():
            content, kept = self._import_content(request, form)
            if content is None:
                form.add_error("file", "The file of that dry run is gone: choose it again.")
            else:
                data = form.cleaned_data
                report = services.import_subscribers(
                    rows=exports.read_csv(content),
                    source=data["source"],
                    dry_run=data["dry_run"],
                    meta=RequestMeta.from_request(request),
                )
                audit.record_import(request=request, report=report, source=data["source"])
                if report.dry_run:
                    kept = kept or PendingImport.objects.create(
                        created_by=request.user,
                        filename=getattr(request.FILES.get("file"), "name", "")[:200],
                        content=content,
                    )
                elif kept:
                    kept.delete()
                    kept = None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Import subscribers",
            "form": form,
            "report": report,
            "kept": kept,
        }
        return TemplateResponse(request, "admin/subscriptions/subscriber/import.html", context)

    @staticmethod
    def _import_content(request, form):
        """The CSV text to import, and the dry run's kept copy it came from (if any): a new
        file wins; otherwise the copy this user's dry run kept, if under a day old."""
        PendingImport.objects.filter(created_at__lt=timezone.now() - timedelta(days=1)).delete()
        data = form.cleaned_data
        if data["file"]:
            return data["file"], None
        kept = PendingImport.objects.filter(pk=data["pending"], created_by=request.user).first()
        return (kept.content, kept) if kept else (None, None)

    def data_view(self, request, pk):
        require(request, "view_subscriber", "export_subscriber")
        subscriber = get_object_or_404(Subscriber, pk=pk)
        body = json.dumps(services.subscriber_data(subscriber), indent=2, ensure_ascii=False)
        audit.record(
            request=request,
            action=audit.Action.DATA_DOWNLOAD,
            summary=f"Downloaded subscriber {pk}'s data",
            detail={"subscriber": pk},
        )
        response = HttpResponse(body, content_type="application/json; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="subscriber-{pk}.json"'
        return response

    def erase_view(self, request, pk):
        require(request, "erase_subscriber")
        subscriber = get_object_or_404(Subscriber, pk=pk)
        if request.method == "POST":
            services.erase_subscriber(subscriber=subscriber, meta=RequestMeta.from_request(request))
            audit.record(
                request=request,
                action=audit.Action.ERASURE,
                summary=f"Erased subscriber {pk}'s personal data",
                detail={"subscriber": pk},
            )
            self.message_user(
                request, "The subscriber's personal data was erased.", messages.SUCCESS
            )
            return redirect(reverse("admin:subscriptions_subscriber_change", args=[pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Erase personal data",
            "subscriber": subscriber,
        }
        return TemplateResponse(request, "admin/subscriptions/subscriber/erase.html", context)


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Superusers read the audit trail; nobody adds, changes or deletes it here."""

    list_display = ["created_at", "actor_name", "action", "summary", "rows", "ip_address"]
    list_filter = ["action", ("actor", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["actor_name", "summary", "ip_address"]
    date_hierarchy = "created_at"
    list_select_related = ["actor"]
    readonly_fields = [f.name for f in AuditEntry._meta.fields]
    show_full_result_count = False

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(OutboundEmail)
class OutboundEmailAdmin(admin.ModelAdmin):
    list_display = [
        "to_email",
        "kind",
        "subject",
        "status",
        "attempts",
        "last_error",
        "created_at",
        "sent_at",
    ]
    list_filter = ["status", "kind"]
    # The Message-ID finds an email from a mail server's log line.
    search_fields = ["to_email", "subject", "=message_id"]
    date_hierarchy = "created_at"
    list_select_related = ["subscriber"]
    readonly_fields = [f.name for f in OutboundEmail._meta.fields]
    actions = ["retry_now", "resend_uncertain", "mark_uncertain_sent"]

    def has_add_permission(self, request):
        return False

    @admin.action(
        description="Retry sending now (only emails certain not to have gone out)",
        permissions=["change"],
    )
    def retry_now(self, request, queryset):
        count = sending.retry_now(queryset)
        left = queryset.filter(status=OutboundEmail.Status.UNCERTAIN).count()
        message = f"{count} email(s) handed to the sender again."
        if left:
            message += (
                f" {left} uncertain email(s) were left alone: they may have arrived. "
                "Resending them is a separate action."
            )
        self.message_user(request, message)

    @admin.action(
        description="Resend uncertain emails (some readers may get a second copy)",
        permissions=["change"],
    )
    def resend_uncertain(self, request, queryset):
        count = sending.resend_uncertain(queryset)
        self.message_user(
            request,
            f"{count} uncertain email(s) handed to the sender again. A worker stopped while "
            "sending them, so some may already have arrived: those readers get a second copy.",
            messages.WARNING,
        )

    @admin.action(
        description="Mark uncertain emails as sent (the mail server's log shows them)",
        permissions=["change"],
    )
    def mark_uncertain_sent(self, request, queryset):
        count = sending.mark_uncertain_sent(queryset)
        self.message_user(request, f"{count} uncertain email(s) marked as sent.")


@admin.register(Suppression)
class SuppressionAdmin(admin.ModelAdmin):
    list_display = ["email_hash", "kind", "reason", "created_at"]
    list_filter = ["kind"]
    search_fields = ["email_hash"]
    search_help_text = "Type the full email address (or a stored hash) to see if it is suppressed."
    readonly_fields = ["email_hash", "keyed", "kind", "reason", "created_at"]

    def get_search_results(self, request, queryset, search_term):
        # The hash is keyed: only the application can turn an address into its entry.
        if "@" in search_term:
            with suppress(ValidationError):
                return queryset.matching(normalise_email(search_term.strip())), False
            return queryset.none(), False
        return super().get_search_results(request, queryset, search_term)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # an erased person comes back only by signing up themselves


@admin.register(DeliveryEvent)
class DeliveryEventAdmin(admin.ModelAdmin):
    """What the email service reported (bounces, complaints, ...) and what was done about it."""

    list_display = [
        "recipient",
        "event_type",
        "soft_bounce",
        "esp",
        "occurred_at",
        "received_at",
        "outcome",
    ]
    list_filter = ["event_type", "soft_bounce", "esp"]
    search_fields = ["recipient", "event_id", "message_id"]
    date_hierarchy = "received_at"
    readonly_fields = [f.name for f in DeliveryEvent._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class IssueAlertForm(forms.Form):
    """Which issue, to which list, and (optionally) to which readers of it."""

    issue = forms.ModelChoiceField(
        queryset=Issue.objects.none(),
        help_text="Published issues only: readers must be able to open what is announced.",
    )
    mailing_list = forms.ModelChoiceField(
        queryset=MailingList.objects.none(),
        widget=forms.RadioSelect,
        label="Send to",
        empty_label=None,
    )

    segment_professions = editions_admin.SegmentFields.base_fields["segment_professions"]
    segment_countries = editions_admin.SegmentFields.base_fields["segment_countries"]
    segment_joined_after = editions_admin.SegmentFields.base_fields["segment_joined_after"]
    segment_joined_before = editions_admin.SegmentFields.base_fields["segment_joined_before"]

    def segment(self) -> dict:
        return {name: self.cleaned_data[name] for name in editions_admin.SEGMENT_FIELDS}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["issue"].queryset = (
            Issue.objects.published().select_related("journal").order_by("-cover_date", "-pk")
        )
        self.fields["mailing_list"].queryset = (
            MailingList.objects.active()
            .email()
            .annotate(members=Count("subscriptions", filter=Q(subscriptions__in=members())))
        )
        self.fields["mailing_list"].label_from_instance = lambda m: (
            f"{m.name} ({m.members} active, confirmed members)"
        )


def members():
    return Subscription.objects.newsletter().values("pk")


@admin.register(IssueAlert)
class IssueAlertAdmin(admin.ModelAdmin):
    """Managers announce a published issue to a list here ("Add"), and follow delivery."""

    list_display = [
        "issue",
        "mailing_list",
        "status",
        "recipients",
        "sent_emails",
        "failed_emails",
        "uncertain_emails",
        "created_by",
        "created_at",
        "sent_at",
    ]
    list_filter = ["status", "mailing_list"]
    search_fields = ["issue__title", "issue__slug", "mailing_list__name"]
    date_hierarchy = "created_at"
    list_select_related = ["issue__journal", "mailing_list", "created_by"]
    readonly_fields = [f.name for f in IssueAlert._meta.fields]
    actions = ["resume"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                sent_count=Count("emails", filter=Q(emails__status=OutboundEmail.Status.SENT)),
                failed_count=Count("emails", filter=Q(emails__status=OutboundEmail.Status.FAILED)),
                uncertain_count=Count(
                    "emails", filter=Q(emails__status=OutboundEmail.Status.UNCERTAIN)
                ),
            )
        )

    def has_delete_permission(self, request, obj=None):
        return False  # the record that an issue was announced keeps it from going out twice

    def add_view(self, request, form_url="", extra_context=None):
        """Pick a published issue and an email list, and send the alert."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = IssueAlertForm(request.POST or None, initial={"issue": request.GET.get("issue")})
        if request.method == "POST" and form.is_valid() and "confirm" not in request.POST:
            picked = form.cleaned_data
            return self._confirm(
                request, picked["issue"], picked["mailing_list"], segment=form.segment()
            )
        if request.method == "POST" and form.is_valid():
            try:
                alert = services.send_issue_alert(
                    issue=form.cleaned_data["issue"],
                    mailing_list=form.cleaned_data["mailing_list"],
                    user=request.user,
                    segment=form.segment(),
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                audit.record(
                    request=request,
                    action=audit.Action.ALERT_SENT,
                    summary=f"Sent the new-issue alert for {alert.issue} to {alert.mailing_list}",
                    detail={"alert": alert.pk, "issue": alert.issue_id},
                )
                self.message_user(
                    request, f"{alert.issue} is being announced to {alert.mailing_list}."
                )
                return redirect("admin:subscriptions_issuealert_changelist")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Send a new-issue alert",
            "form": form,
        }
        return TemplateResponse(request, "admin/subscriptions/issuealert/send.html", context)

    def _confirm(self, request, issue, mailing_list, *, segment: dict):
        """The list, the readers, how many get it, the subject: sent only from this page's
        POST (which carries the same choices)."""
        add_url = reverse("admin:subscriptions_issuealert_add")
        narrowed = IssueAlert(**segment)
        hidden = [("issue", issue.pk), ("mailing_list", mailing_list.pk)]
        for name, value in segment.items():
            values = value if isinstance(value, list) else [value] if value else []
            hidden += [(name, v.isoformat() if hasattr(v, "isoformat") else v) for v in values]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Announce {issue}?",
            "mailing_list": mailing_list,
            "subject": emails.render_subject("subscriptions/issue_alert", {"issue": issue}),
            "recipients": recipient_count(mailing_list, segment=narrowed),
            "segment": narrowed.segment_description(),
            "hidden": hidden,
            "button": f"Send the alert to {mailing_list} now",
            "action_url": add_url,
            "back_url": f"{add_url}?issue={issue.pk}",
            "back_label": "Send a new-issue alert",
        }
        return TemplateResponse(request, "admin/subscriptions/confirm_send.html", context)

    @admin.display(description="Emails sent", ordering="sent_count")
    def sent_emails(self, obj):
        return obj.sent_count

    @admin.display(description="Emails failed", ordering="failed_count")
    def failed_emails(self, obj):
        return obj.failed_count

    @admin.display(description="Emails uncertain", ordering="uncertain_count")
    def uncertain_emails(self, obj):
        return obj.uncertain_count

    @admin.action(
        description="Finish sending (alerts not yet handed to the sender)", permissions=["change"]
    )
    def resume(self, request, queryset):
        count = services.resume_issue_alerts(alerts=queryset)
        self.message_user(request, f"{count} alert(s) handed to the sender again.")


class AnnounceIssueMixin:
    """What subscriptions adds to the issue list: announce an issue by email (the articles
    app knows nothing of subscriptions). Shown only to users who may send alerts."""

    def has_send_issue_alert_permission(self, request):
        return request.user.has_perm("subscriptions.add_issuealert")

    @admin.action(
        description="Announce by email (new-issue alert)…", permissions=["send_issue_alert"]
    )
    def send_issue_alert(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Announce one issue at a time.", messages.WARNING)
            return None
        url = reverse("admin:subscriptions_issuealert_add")
        return redirect(f"{url}?issue={queryset.get().pk}")


def contribute_to_issue_admin(site: admin.AdminSite) -> None:
    issue_admin = type(site.get_model_admin(Issue))
    site.unregister(Issue)
    site.register(
        Issue,
        type(
            issue_admin.__name__,
            (AnnounceIssueMixin, issue_admin),
            {"actions": [*issue_admin.actions, "send_issue_alert"], "__module__": __name__},
        ),
    )


contribute_to_issue_admin(admin.site)
