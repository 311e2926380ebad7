"""Newsletter editions in the admin: compose, preview, test, schedule, send, follow."""

from csp.decorators import csp_update
from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django_countries import countries

from articles.admin.shared import Reorderable, ReorderableInlineFormSet
from articles.models import Article
from subscriptions.charts import edition_bar, edition_figures_chart, link_clicks_chart, share_bar
from subscriptions.models import Edition, EditionArticle, MailingList, Profession
from subscriptions.services import audit
from subscriptions.services import editions as service
from subscriptions.services.bulk import recipient_count

SEND_PERMISSION = "subscriptions.send_edition"


class PublishedArticleSearch(AutocompleteJsonView):
    """The edition's article picker: published articles whose title has the words typed,
    newest first, for managers who may compose editions (they need no rights on the
    articles themselves)."""

    def process_request(self, request):
        article_admin = self.admin_site.get_model_admin(Article)
        field = EditionArticle._meta.get_field("article")
        return request.GET.get("term", "").strip(), article_admin, field, "pk"

    def has_perm(self, request, obj=None):
        return request.user.has_perm("subscriptions.change_edition") or request.user.has_perm(
            "subscriptions.add_edition"
        )

    def get_paginator(self, *args, **kwargs):
        return Paginator(*args, **kwargs)

    def get_queryset(self):
        articles = Article.objects.published().select_related("section").newest_first()
        for word in self.term.split()[:8]:
            articles = articles.filter(title__icontains=word)
        return articles

    def serialize_result(self, obj, to_field_name):
        return {"id": str(obj.pk), "text": article_label(obj)}


def article_label(article) -> str:
    section = f", {article.section}" if article.section_id else ""
    return f"{article.title} ({article.published_at:%b %-d, %Y}{section})"


class PublishedArticleSelect(AutocompleteSelect):
    def get_url(self):
        return reverse("admin:subscriptions_edition_article_search")


class EditionArticleForm(forms.ModelForm):
    class Meta:
        model = EditionArticle
        fields = ["article", "position"]

    def __init__(self, *args, admin_site=None, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["article"]
        field.queryset = Article.objects.published().select_related("section")
        field.label_from_instance = article_label
        field.widget = PublishedArticleSelect(
            EditionArticle._meta.get_field("article"), admin_site or admin.site
        )
        field.widget.choices = field.choices


class EditionArticleInline(Reorderable, admin.TabularInline):
    model = EditionArticle
    form = EditionArticleForm
    formset = ReorderableInlineFormSet
    extra = 3
    verbose_name_plural = (
        "Articles (drag, or use the arrow keys, to order them; only published articles are sent)"
    )

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (obj is None or obj.editable)

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and (obj is None or obj.editable)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (obj is None or obj.editable)


class SegmentFields(forms.ModelForm):
    """The segment of a mailing as form fields (the model keeps lists as JSON)."""

    segment_professions = forms.MultipleChoiceField(
        label="Professions",
        choices=Profession.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Only readers of these professions (none ticked: every profession).",
    )
    segment_countries = forms.MultipleChoiceField(
        label="Countries",
        choices=list(countries),
        required=False,
        help_text="Only readers in these countries (none chosen: every country).",
    )
    segment_joined_after = forms.DateField(
        label="Joined on or after",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    segment_joined_before = forms.DateField(
        label="Joined before", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


SEGMENT_FIELDS = [
    "segment_professions",
    "segment_countries",
    "segment_joined_after",
    "segment_joined_before",
]


class EditionForm(SegmentFields):
    class Meta:
        model = Edition
        fields = ["mailing_list", "subject", "slug", "preheader", "intro", *SEGMENT_FIELDS]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "mailing_list" in self.fields:
            self.fields["mailing_list"].queryset = MailingList.objects.active().email()


class ScheduleForm(forms.Form):
    when = forms.DateTimeField(
        label="Send at",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local", "form": "edition-schedule"}),
    )


def audited(request, edition: Edition, action: str, result):
    """Write the audit entry of a sending or scheduling that happened (not of "nothing to do")."""
    if result is not False:
        audit.record(
            request=request,
            action=action,
            summary=f"{audit.Action(action).label}: “{edition}” to {edition.mailing_list}",
            detail={"edition": edition.pk, "list": edition.mailing_list_id},
        )
    return result


@admin.register(Edition)
class EditionAdmin(admin.ModelAdmin):
    form = EditionForm
    inlines = [EditionArticleInline]
    list_display = [
        "subject",
        "mailing_list",
        "status",
        "scheduled_for",
        "started_by",
        "started_at",
        "queued",
        "sent",
        "failed",
        "uncertain",
        "bounced",
        "complained",
        "unsubscribed",
        "counts_bar",
    ]
    list_filter = ["status", "mailing_list"]
    list_select_related = ["mailing_list", "started_by"]
    search_fields = ["subject"]
    date_hierarchy = "created_at"
    history_fields = [
        "status",
        "scheduled_for",
        "created_by",
        "created_at",
        "started_by",
        "started_at",
        "sent_at",
        "recipients",
    ]

    def get_queryset(self, request):
        return service.with_counts(super().get_queryset(request))

    content_fields = ["mailing_list", "subject", "slug", "preheader", "intro", *SEGMENT_FIELDS]
    prepopulated_fields = {"slug": ["subject"]}

    def get_fieldsets(self, request, obj=None):
        fieldsets = [
            (None, {"fields": ["mailing_list", "subject", "slug", "preheader", "intro"]}),
            (
                "Who gets it",
                {
                    "fields": SEGMENT_FIELDS,
                    "description": "Leave these empty to send to the whole list. How many "
                    "readers get it is shown before it is sent.",
                },
            ),
        ]
        if obj is not None:
            fieldsets.append(("History", {"fields": self.history_fields}))
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        if not obj.editable:
            return [*self.content_fields, *self.history_fields]
        return self.history_fields

    def view_on_site(self, obj):
        """The web version, once readers can see it."""
        return obj.get_absolute_url() if obj.slug and not obj.editable else None

    def get_prepopulated_fields(self, request, obj=None):
        return {} if obj is not None and not obj.editable else self.prepopulated_fields

    def has_delete_permission(self, request, obj=None):
        # A sent edition is the record of what went to whom.
        return super().has_delete_permission(request, obj) and (
            obj is None or obj.status == Edition.Status.DRAFT
        )

    def get_changeform_initial_data(self, request):
        newsletter = MailingList.objects.active().email().first()
        return {"mailing_list": newsletter.pk if newsletter else None}

    def get_formset_kwargs(self, request, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        if obj.pk is None and request.method == "GET":
            # What's new since the last edition, filled in; managers remove or reorder.
            newsletter = MailingList.objects.active().email().first()
            kwargs["initial"] = [
                {"article": article.pk, "position": n}
                for n, article in enumerate(service.suggested_articles(newsletter), start=1)
            ]
        return kwargs

    def get_inline_instances(self, request, obj=None):
        instances = super().get_inline_instances(request, obj)
        if obj is None and request.method == "GET":
            newsletter = MailingList.objects.active().email().first()
            suggested = len(service.suggested_articles(newsletter))
            for inline in instances:
                inline.extra = max(suggested, 3)
        return instances

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    # Counts -------------------------------------------------------------------------

    @admin.display(description="Queued", ordering="queued_count")
    def queued(self, obj):
        return obj.queued_count

    @admin.display(description="Sent", ordering="sent_count")
    def sent(self, obj):
        return obj.sent_count

    @admin.display(description="Failed", ordering="failed_count")
    def failed(self, obj):
        return obj.failed_count

    @admin.display(description="Uncertain", ordering="uncertain_count")
    def uncertain(self, obj):
        return obj.uncertain_count

    @admin.display(description="Bounced", ordering="bounced_count")
    def bounced(self, obj):
        return obj.bounced_count

    @admin.display(description="Complained", ordering="complained_count")
    def complained(self, obj):
        return obj.complained_count

    @admin.display(description="Unsubscribed", ordering="unsubscribed_count")
    def unsubscribed(self, obj):
        return obj.unsubscribed_count

    @admin.display(description="Delivery")
    def counts_bar(self, obj):
        return edition_bar(obj)

    # Preview, test, schedule, send ----------------------------------------------------

    def get_urls(self):
        wrap = self.admin_site.admin_view
        search = wrap(PublishedArticleSearch.as_view(admin_site=self.admin_site))
        urls = [
            ("preview.html", self.preview_html, "preview_html"),
            ("preview.txt", self.preview_text, "preview_text"),
            ("send-test/", self.send_test_view, "send_test"),
            ("send/", self.send_view, "send"),
            ("schedule/", self.schedule_view, "schedule"),
            ("cancel/", self.cancel_view, "cancel"),
            ("pause/", self.pause_view, "pause"),
            ("resume/", self.resume_view, "resume"),
        ]
        return [
            path("article-search/", search, name="subscriptions_edition_article_search"),
            *(
                path(f"<int:pk>/{suffix}", wrap(view), name=f"subscriptions_edition_{name}")
                for suffix, view, name in urls
            ),
            *super().get_urls(),
        ]

    def _edition(self, request, pk, *, send=False) -> Edition:
        edition = get_object_or_404(Edition.objects.select_related("mailing_list"), pk=pk)
        if not self.has_view_permission(request, edition):
            raise PermissionDenied
        if send and not request.user.has_perm(SEND_PERMISSION):
            raise PermissionDenied
        return edition

    @method_decorator(csp_update({"style-src": ["'unsafe-inline'"], "img-src": ["https:"]}))
    def preview_html(self, request, pk):
        """The HTML part as readers' mail clients get it (the email's inline styles need the
        page's policy to allow them; it has no scripts)."""
        edition = self._edition(request, pk)
        html = service.preview(edition, email=request.user.email)[2]
        response = HttpResponse(html)
        response["X-Robots-Tag"] = "noindex"
        return response

    def preview_text(self, request, pk):
        edition = self._edition(request, pk)
        subject, text, _ = service.preview(edition, email=request.user.email)
        return HttpResponse(
            f"Subject: {subject}\n\n{text}", content_type="text/plain; charset=utf-8"
        )

    def _confirm(self, request, edition, *, action: str, button: str, when=None, hidden=()):
        """The page between the button and the sending: the list, how many get it, the
        subject. Only its POST (with "confirm") sends; opening it changes nothing."""
        change_url = reverse("admin:subscriptions_edition_change", args=[edition.pk])
        try:
            service.check_content(edition)
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
            return redirect(change_url)
        if not edition.editable:
            self.message_user(request, f"Nothing to do: the edition is {edition.status}.")
            return redirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Send “{edition}”?" if when is None else f"Schedule “{edition}”?",
            "mailing_list": edition.mailing_list,
            "subject": edition.subject,
            "recipients": recipient_count(edition.mailing_list, owner=edition),
            "segment": edition.segment_description(),
            "when": when,
            "hidden": hidden,
            "button": button,
            "action_url": reverse(f"admin:subscriptions_edition_{action}", args=[edition.pk]),
            "back_url": change_url,
            "back_label": str(edition),
        }
        return TemplateResponse(request, "admin/subscriptions/confirm_send.html", context)

    def _act(self, request, pk, action, done: str):
        if request.method != "POST":
            return redirect("admin:subscriptions_edition_change", pk)
        edition = self._edition(request, pk, send=True)
        try:
            result = action(edition)
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
        else:
            if result is False:
                self.message_user(request, f"Nothing to do: the edition is {edition.status}.")
            else:
                message = done.format(edition=edition, user=request.user)
                self.log_change(request, edition, message)
                self.message_user(request, message, messages.SUCCESS)
        return redirect("admin:subscriptions_edition_change", pk)

    def send_test_view(self, request, pk):
        return self._act(
            request,
            pk,
            lambda e: service.send_test(edition=e, user=request.user),
            "A test of “{edition}” was sent to {user.email}.",
        )

    def send_view(self, request, pk):
        if request.method != "POST" or "confirm" not in request.POST:
            edition = self._edition(request, pk, send=True)
            return self._confirm(
                request, edition, action="send", button=f"Send to {edition.mailing_list} now"
            )
        return self._act(
            request,
            pk,
            lambda e: audited(
                request,
                e,
                audit.Action.EDITION_SENT,
                service.send_edition(edition=e, user=request.user),
            ),
            "“{edition}” is being sent to {edition.mailing_list}.",
        )

    def schedule_view(self, request, pk):
        form = ScheduleForm(request.POST or None)
        if request.method == "POST" and "confirm" not in request.POST and form.is_valid():
            edition = self._edition(request, pk, send=True)
            when = form.cleaned_data["when"]
            return self._confirm(
                request,
                edition,
                action="schedule",
                button="Schedule",
                when=f"{timezone.localtime(when):%Y-%m-%d %H:%M %Z}",
                hidden=[("when", request.POST["when"])],
            )

        def schedule(edition):
            if not form.is_valid():
                raise ValidationError("Pick the date and time to send at.")
            return audited(
                request,
                edition,
                audit.Action.EDITION_SCHEDULED,
                service.schedule_edition(
                    edition=edition, when=form.cleaned_data["when"], user=request.user
                ),
            )

        return self._act(
            request,
            pk,
            schedule,
            "“{edition}” is scheduled to go to {edition.mailing_list} at "
            + (
                f"{timezone.localtime(form.cleaned_data['when']):%Y-%m-%d %H:%M %Z}."
                if form.is_valid()
                else "the time picked."
            ),
        )

    def cancel_view(self, request, pk):
        return self._act(
            request,
            pk,
            lambda e: service.cancel_schedule(edition=e),
            "The scheduled sending of “{edition}” was cancelled; it is a draft again.",
        )

    def pause_view(self, request, pk):
        return self._act(
            request, pk, lambda e: service.pause_edition(edition=e), "“{edition}” is paused."
        )

    def resume_view(self, request, pk):
        return self._act(
            request,
            pk,
            lambda e: service.resume_edition(edition=e),
            "“{edition}” is being sent again, to those who have not had it.",
        )

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["can_send"] = request.user.has_perm(SEND_PERMISSION)
        context["schedule_form"] = ScheduleForm()
        if obj is not None:
            context["counts"] = service.with_counts(Edition.objects.filter(pk=obj.pk)).get()
            context["figures_chart"] = edition_figures_chart(context["counts"])
            context["per_reader"] = obj.mailing_list.track_clicks_per_reader
            links = list(
                obj.links.annotate(
                    readers=Count("reader_clicks__subscriber", distinct=True)
                ).order_by("-clicks", "pk")
            )
            peak = max((link.clicks for link in links), default=0)
            context["link_clicks"] = [(link, share_bar(link.clicks, peak)) for link in links]
            context["clicks_chart"] = link_clicks_chart(links) if links else ""
        return super().render_change_form(request, context, add, change, form_url, obj)
