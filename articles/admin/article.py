"""The article editor: body, ordered authors, topics, references, related items."""

from datetime import datetime

import reversion
from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Exists, Max, Min, OuterRef, Q
from django.http import HttpResponseBadRequest, HttpResponseRedirect, JsonResponse
from django.urls import path, reverse
from django.utils import timezone
from js_asset import Media
from reversion.admin import VersionAdmin

from articles import citations, lookup, review, services
from articles.admin import scholarly
from articles.admin.autosave import AutosavesMixin
from articles.admin.common import (
    LabelledDateTimes,
    PublishActionsMixin,
    SaysWhenReadersSeeIt,
    SharesDraftsMixin,
    SiteLinkMixin,
    state,
)
from articles.admin.compare import ComparesVersions
from articles.admin.preview import PreviewLinkInline
from articles.admin.shared import (
    LargeTablePaginator,
    PlainActionCheckbox,
    Reorderable,
    ReorderableInlineFormSet,
    search_words,
)
from articles.admin.uploads import KeepsUploads
from articles.models import (
    Article,
    ArticleSlugHistory,
    ArticleTopic,
    Author,
    Authorship,
    Issue,
    Reference,
    RelatedItem,
    Topic,
)
from articles.references import parse_reference_list
from articles.sanitizer import sanitize_html
from articles.text import slugify, unique_slug

ARTICLE_CHILDREN = (Authorship, ArticleTopic, Reference, RelatedItem)
for child in ARTICLE_CHILDREN:
    reversion.register(child)
# Preview links are access grants, not content: restoring a version must not touch them.
reversion.register(Article, follow=["authorships", "article_topics", "references", "related_links"])


# The editor (Tiptap) injects one fixed <style> block; allow exactly that block, on the
# article form only. tests/e2e/test_admin_editor.py fails if an upgrade changes it.
PROSE_EDITOR_STYLE_HASH = "'sha256-PlumsSlvJ7vvWzjqibGAYKq92O3y/4JTxWWsWJvyUYA='"


class ArticleForm(KeepsUploads, forms.ModelForm):
    reference_list = forms.CharField(
        label="Paste references",
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "cols": 100}),
        help_text="Paste the numbered list from the end of the manuscript: each entry becomes "
        "a reference with its number, and a DOI or PMID in the text goes to its own field.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "slug" in self.fields:
            self.fields["slug"].required = False
            self.fields["slug"].help_text = (
                "Filled in from the title; kept unique (a repeated title gets -2). "
                "An article keeps answering at its old address when this changes."
            )

    def clean(self):
        cleaned = super().clean()
        title, slug = cleaned.get("title") or "", cleaned.get("slug")
        automatic = not slug or (self.instance.pk is None and slug == slugify(title)[:200])
        if title and automatic:
            # A repeated title ("FDA Oncology Update") gets fda-oncology-update-2 rather
            # than an error; old addresses of other articles are taken too.
            taken = set(
                ArticleSlugHistory.objects.filter(slug__startswith=slugify(title)[:200])
                .exclude(article_id=self.instance.pk)
                .values_list("slug", flat=True)
            )
            cleaned["slug"] = unique_slug(
                Article, title, exclude_pk=self.instance.pk, max_length=200, also_taken=taken
            )
        return cleaned

    def clean_reference_list(self):
        parsed = parse_reference_list(self.cleaned_data["reference_list"])
        problems, seen = [], set()
        for entry in parsed:
            if entry.position is not None:
                if entry.position in seen:
                    problems.append(f"The list numbers two entries {entry.position}.")
                seen.add(entry.position)
            reference = Reference(
                citation=entry.citation, doi=entry.doi, pmid=entry.pmid, position=1
            )
            try:
                reference.full_clean(exclude=["article", "position"], validate_unique=False)
            except ValidationError as error:
                label = entry.position or entry.citation[:40]
                problems.append(f"Entry {label}: " + " ".join(error.messages))
        if problems:
            raise ValidationError(problems)
        # The references inline checks the body's citations against these too, and the
        # admin saves them with the article (see ArticleAdmin.save_related).
        self.instance.pasted_references = parsed
        return self.cleaned_data["reference_list"]


class ReferenceInlineFormSet(ReorderableInlineFormSet):
    def add_fields(self, form, index):
        super().add_fields(form, index)
        position = form.fields["position"]
        position.required = False
        # Citations are at most three digits: [999].
        position.validators.append(MaxValueValidator(999))
        position.widget.attrs["max"] = 999
        position.help_text = (
            "The number cited in the body. Leave empty to number it after the others."
        )

    def clean(self):
        """Number unnumbered references, then check every citation has its reference.

        Runs before anything is saved: the admin has already validated the article
        form into self.instance.
        """
        super().clean()
        if any(self.errors):
            return
        kept = [
            form for form in self.forms if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        numbers = {f.cleaned_data["position"] for f in kept if f.cleaned_data.get("position")}
        pasted = getattr(self.instance, "pasted_references", [])
        if clash := sorted(numbers & {p.position for p in pasted if p.position}):
            raise ValidationError(
                "The pasted list and the references below both have number %(numbers)s: "
                "delete one or renumber the list.",
                code="pasted_clash",
                params={"numbers": ", ".join(map(str, clash))},
            )
        numbers |= {p.position for p in pasted if p.position}
        next_number = max(numbers, default=0) + 1
        for form in kept:
            if not form.cleaned_data.get("position"):
                form.cleaned_data["position"] = form.instance.position = next_number
                numbers.add(next_number)
                next_number += 1
        for entry in pasted:
            if not entry.position:
                entry.position = next_number
                numbers.add(next_number)
                next_number += 1
        # Word's and Google Docs' superscript citations ("disease.<sup>1-3</sup>") become
        # bracketed ones when their references exist; the rest is a warning after saving.
        body = citations.convert_superscripts(sanitize_html(self.instance.body), numbers)
        self.instance.body = body
        self.instance.citation_warnings = citations.citation_warnings(body, numbers)
        self.instance.check_citations(numbers)


class RelatedItemInlineFormSet(ReorderableInlineFormSet):
    def clean(self):
        super().clean()
        for form in self.forms:
            related = form.cleaned_data.get("related") if form.cleaned_data else None
            if related is not None and self.instance.pk and related.pk == self.instance.pk:
                form.add_error("related", "An article cannot be related to itself.")


class AuthorshipInline(Reorderable, admin.TabularInline):
    model = Authorship
    formset = ReorderableInlineFormSet
    fields = ["author", "position"]
    autocomplete_fields = ["author"]
    extra = 1
    verbose_name = "author"
    verbose_name_plural = "authors (in byline order)"


class ArticleTopicInline(Reorderable, admin.TabularInline):
    model = ArticleTopic
    formset = ReorderableInlineFormSet
    fields = ["topic", "position"]
    autocomplete_fields = ["topic"]
    extra = 1
    verbose_name = "topic"
    verbose_name_plural = "topics (in display order)"


class ReferenceInline(Reorderable, admin.StackedInline):
    model = Reference
    formset = ReferenceInlineFormSet
    fields = ["position", "citation", ("doi", "pmid"), "url"]
    formfield_overrides = {
        models.TextField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 100})},
        models.URLField: {"assume_scheme": "https"},
    }
    extra = 1
    verbose_name_plural = "references (the number is the one cited in the body)"

    @property
    def media(self):
        media = super().media
        if lookup.is_enabled():
            media += forms.Media(js=["js/admin/reference_lookup.js"])
        return media

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "doi" and lookup.is_enabled():
            field.widget.attrs["data-lookup-url"] = reverse("admin:articles_article_lookup")
        return field


class RelatedItemInline(Reorderable, admin.TabularInline):
    model = RelatedItem
    formset = RelatedItemInlineFormSet
    fk_name = "article"
    fields = ["related", "position"]
    autocomplete_fields = ["related"]
    extra = 1
    verbose_name = "related item"
    verbose_name_plural = "related items picked by the editors (the rest are filled by topic)"


class IssueFilter(admin.RelatedFieldListFilter):
    # The newest issues: an archive holds hundreds, and the sidebar would list them all on
    # every page of the list (an older issue's articles are a click away on its own page).
    shown = 60

    def field_choices(self, field, request, model_admin):
        # Issue labels include the journal's short name: fetch it in the same query.
        issues = Issue.objects.select_related("journal")[: self.shown]
        return [(issue.pk, issue.full_label) for issue in issues]


class PublishedYearFilter(admin.SimpleListFilter):
    """The year an article was (or is scheduled to be) published: a range on the indexed
    publication date. (A date hierarchy would list the years with a DISTINCT over every
    article of the archive on each page of the list.)"""

    title = "year published"
    parameter_name = "year"

    def lookups(self, request, model_admin):
        span = Article.objects.aggregate(first=Min("published_at"), last=Max("published_at"))
        if span["first"] is None:
            return []
        first, last = (timezone.localtime(span[end]).year for end in ("first", "last"))
        return [(str(year), str(year)) for year in range(last, first - 1, -1)]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        try:
            start = timezone.make_aware(datetime(int(self.value()), 1, 1))
            end = timezone.make_aware(datetime(int(self.value()) + 1, 1, 1))
        except (ValueError, OverflowError):
            return queryset.none()
        return queryset.filter(published_at__gte=start, published_at__lt=end)


class TopicFilter(admin.SimpleListFilter):
    """Articles filed under a topic, tested per article (EXISTS on the topic links' unique
    index): filtering through the many-to-many join would make Django add a DISTINCT over
    every column of every matching article."""

    title = "topic"
    parameter_name = "topic"

    def lookups(self, request, model_admin):
        return [(str(topic.pk), topic.name) for topic in Topic.objects.only("name")]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        try:
            topic_id = int(self.value())
        except ValueError:
            return queryset.none()
        return queryset.filter(
            Exists(ArticleTopic.objects.filter(article=OuterRef("pk"), topic_id=topic_id))
        )


class ArticleChangeList(ChangeList):
    # The list shows none of the long fields: a page of 100 articles need not read them.
    unlisted = ("standfirst", "body", "body_html", "correction_note")

    def get_results(self, request):
        self.queryset = self.queryset.defer(*self.unlisted)
        super().get_results(request)


@admin.register(Article)
class ArticleAdmin(
    AutosavesMixin,
    PlainActionCheckbox,
    LabelledDateTimes,
    SaysWhenReadersSeeIt,
    SharesDraftsMixin,
    PublishActionsMixin,
    SiteLinkMixin,
    ComparesVersions,
    VersionAdmin,
):
    form = ArticleForm
    change_form_template = "admin/articles/article/change_form.html"
    # Large tables: no count of the whole table on each page (see LargeTablePaginator).
    paginator = LargeTablePaginator
    show_full_result_count = False
    list_display = ["title", "issue", "section", "state", "byline", "export"]
    list_filter = [
        "status",
        ("issue", IssueFilter),
        "section",
        TopicFilter,
        "is_featured",
        PublishedYearFilter,
        scholarly.ExportStateFilter,
    ]
    list_select_related = ["issue__journal", "section", "review"]
    # Title, slug or an author's name: see get_search_results.
    search_fields = ["title"]
    autocomplete_fields = ["issue", "section"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["created_at", "updated_at", "export_report", "crossref_deposits"]
    inlines = [
        AuthorshipInline,
        ArticleTopicInline,
        ReferenceInline,
        RelatedItemInline,
        PreviewLinkInline,
    ]
    actions = ["publish", "unpublish", "share_draft", "register_dois"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fieldsets = [
        (None, {"fields": ["title", "slug", "issue", "section", "standfirst", "body"]}),
        (
            "Publishing",
            {
                "fields": [
                    "status",
                    "published_at",
                    "is_featured",
                    "position",
                    ("corrected_at", "correction_note"),
                ]
            },
        ),
        (
            "Lead image",
            {"fields": ["lead_image", "lead_image_alt", "lead_image_caption"]},
        ),
        ("References", {"fields": ["reference_list"]}),
        (
            "Print and metadata",
            {
                "fields": [
                    "doi",
                    ("first_page", "last_page"),
                    "elocation_id",
                    ("licence_url", "licence_name"),
                    "copyright_holder",
                    "pdf",
                    "keywords",
                    "seo_description",
                    ("created_at", "updated_at"),
                ],
                "classes": ["collapse"],
            },
        ),
        ("Crossref and JATS", {"fields": ["export_report", "crossref_deposits"]}),
    ]

    @property
    def media(self):
        return super().media + forms.Media(js=["js/admin/paste_citations.js"])

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("authorships__author")

    def get_changelist(self, request, **kwargs):
        return ArticleChangeList

    # An author's name matching more articles than this is looked up as a subquery.
    AUTHOR_MATCH_LIMIT = 5000

    def get_search_results(self, request, queryset, search_term):
        """Each word in the title (a trigram index on PostgreSQL), the exact slug, or an
        author's name. Authors are matched in their own small table first and their
        articles passed by id, so the database can combine the three indexes (or, for a
        common word, walk the newest articles until a page is full), and no article is
        listed twice (no DISTINCT over a join with the archive)."""
        for word in search_words(search_term):
            authors = Author.objects.filter(
                Q(family_name__icontains=word) | Q(given_name__icontains=word)
            )
            by_author = Authorship.objects.filter(author__in=authors).values_list(
                "article_id", flat=True
            )
            ids = list(by_author[: self.AUTHOR_MATCH_LIMIT + 1])
            if len(ids) > self.AUTHOR_MATCH_LIMIT:
                ids = by_author
            queryset = queryset.filter(
                Q(title__icontains=word) | Q(slug=word.lower()) | Q(pk__in=ids)
            )
        return queryset, False

    def get_urls(self):
        lookup_view = self.admin_site.admin_view(self.reference_lookup)
        return [
            path("reference-lookup/", lookup_view, name="articles_article_lookup"),
            *super().get_urls(),
        ]

    def reference_lookup(self, request):
        """JSON for the "Look up" button: a reference from its DOI or PMID."""
        if not (self.has_add_permission(request) or self.has_change_permission(request)):
            raise PermissionDenied
        try:
            found = lookup.lookup(doi=request.GET.get("doi", ""), pmid=request.GET.get("pmid", ""))
        except lookup.MetadataLookupError as error:
            return JsonResponse({"error": str(error)}, status=404)
        return JsonResponse({"citation": found.citation, "doi": found.doi, "pmid": found.pmid})

    def _reversion_revisionform_view(self, request, version, *args, **kwargs):
        # Restoring writes each stored row back over the current one. If references 1 and
        # 2 (or two authors' rows) have been swapped since, each write collides with the
        # other and reversion gives up. So the rows the version holds are removed first,
        # inside reversion's transaction (a preview, or a failed restore, rolls it back),
        # and are then written back whole, with their ids.
        if refusal := self._restore_would_publish(request, version):
            return refusal
        revision = version.revision
        revert = revision.revert

        def revert_children_whole(delete=False):
            for model in ARTICLE_CHILDREN:
                ids = revision.version_set.get_for_model(model).values_list("object_id")
                model._base_manager.filter(pk__in=[int(i) for (i,) in ids]).delete()
            revert(delete=delete)

        revision.revert = revert_children_whole
        return super()._reversion_revisionform_view(request, version, *args, **kwargs)

    def _restore_would_publish(self, request, version):
        """With review on, an editor restores no published version over an unpublished
        article (nor recovers a deleted published one): that would publish it."""
        if review.may_publish(request.user):
            return None
        if version.field_dict.get("status") != Article.Status.PUBLISHED:
            return None
        current = Article.objects.filter(pk=version.object_id).values_list("status", flat=True)
        if current.first() == Article.Status.PUBLISHED:
            return None
        self.message_user(
            request,
            "That version is published: restoring it would publish the article, which "
            "needs a managing editor while the review step is on.",
            messages.ERROR,
        )
        if current.exists():
            url = reverse("admin:articles_article_history", args=[version.object_id])
        else:
            url = reverse("admin:articles_article_changelist")
        return HttpResponseRedirect(url)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not review.may_publish(request.user):
            # Review is on: an editor submits; a managing editor publishes or schedules.
            fields += ["status", "published_at"]
        return fields

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not review.may_publish(request.user):
            actions.pop("publish", None)
        return actions

    REVIEW_BUTTONS = {
        "submit": "Save and submit for review",
        "approve": "Save and approve",
        "publish": "Save, approve and publish",
        "request_changes": "Save and request changes",
        "comment": "Save and comment",
    }

    DECISIONS = {"approve", "publish", "request_changes"}

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # A review button that no form offers is refused before anything is saved.
        action = request.POST.get("_review") if request.method == "POST" else None
        if action is not None:
            comment = request.POST.get("review_comment", "")
            if not review.is_on() or action not in self.REVIEW_BUTTONS:
                return HttpResponseBadRequest("There is no such review action on this site.")
            if len(comment) > review.COMMENT_LIMIT:
                return HttpResponseBadRequest(
                    f"A comment is at most {review.COMMENT_LIMIT} characters."
                )
            if action in self.DECISIONS and not request.user.has_perm(review.APPROVE):
                raise PermissionDenied
        return super().changeform_view(request, object_id, form_url, extra_context)

    def _review_context(self, request, obj):
        """The review panel: state, comments and the transitions this user may make."""
        if not review.is_on():
            return None
        user = request.user
        current = review.review_of(obj) if obj else None
        stage = current.state if current else review.ReviewState.DRAFT
        is_draft = obj is None or obj.status == Article.Status.DRAFT
        allowed = []
        if is_draft and stage in (review.ReviewState.DRAFT, review.ReviewState.CHANGES_REQUESTED):
            allowed.append("submit")
        deciding = (
            current is not None
            and stage == review.ReviewState.IN_REVIEW
            and user.has_perm(review.APPROVE)
            and current.submitted_by_id != user.pk
        )
        if deciding:
            allowed += ["publish", "approve", "request_changes"]
        if obj is not None:
            allowed.append("comment")
        return {
            "review": current,
            "state_label": review.ReviewState(stage).label,
            "visibility": state(obj) if obj and not is_draft else "",
            "comments": list(obj.review_comments.select_related("author")) if obj else [],
            "buttons": [(name, self.REVIEW_BUTTONS[name]) for name in allowed],
            "comment_limit": review.COMMENT_LIMIT,
        }

    def _review_response(self, request, obj, default):
        """After a save with a review button: make the transition, then show the form."""
        action = request.POST.get("_review")
        if action is None:
            return default
        comment = request.POST.get("review_comment", "")
        try:
            match action:
                case "submit":
                    review.submit(article=obj, user=request.user, comment=comment)
                    done = "submitted for review: the managing editors are notified"
                case "approve":
                    review.approve(article=obj, user=request.user, comment=comment)
                    done = "approved"
                case "publish":
                    review.approve(article=obj, user=request.user, comment=comment)
                    result = services.publish(
                        objects=Article.objects.filter(pk=obj.pk), user=request.user
                    )
                    self._report(request, result, "published", where="on approval")
                    done = "approved"
                case "request_changes":
                    review.request_changes(article=obj, user=request.user, comment=comment)
                    done = "sent back to draft: its editor is notified"
                case "comment":
                    review.add_comment(article=obj, user=request.user, comment=comment)
                    done = "commented"
        except PermissionDenied:
            self.message_user(
                request, f"“{obj}” is saved; you may not do that in review.", messages.ERROR
            )
        except ValidationError as error:
            self.message_user(
                request, f"“{obj}” is saved, but: " + " ".join(error.messages), messages.ERROR
            )
        else:
            self.message_user(request, f"“{obj}” {done}.", messages.SUCCESS)
        return HttpResponseRedirect(
            reverse("admin:articles_article_change", args=[obj.pk]) + "#review"
        )

    def response_add(self, request, obj, *args, **kwargs):
        default = super().response_add(request, obj, *args, **kwargs)
        return self._review_response(request, obj, default)

    def response_change(self, request, obj, *args, **kwargs):
        default = super().response_change(request, obj, *args, **kwargs)
        return self._review_response(request, obj, default)

    def render_change_form(self, request, context, *args, **kwargs):
        context["review_panel"] = self._review_context(request, kwargs.get("obj"))
        # The editor's import map is an inline script: it needs the CSP nonce.
        nonce = getattr(request, "csp_nonce", None)
        context["media"] = Media.from_media(context["media"], nonce=nonce)
        self._show_citation_errors_on_the_body(context)
        response = super().render_change_form(request, context, *args, **kwargs)
        response._csp_update = {"style-src": [PROSE_EDITOR_STYLE_HASH]}
        return response

    @staticmethod
    def _show_citation_errors_on_the_body(context):
        # The check runs on the references, far down the page; the editor typed the
        # citation in the body, so the error is shown there too.
        form = context["adminform"].form
        for inline in context.get("inline_admin_formsets", []):
            formset = inline.formset
            if isinstance(formset, ReferenceInlineFormSet) and formset.is_bound:
                for error in formset.non_form_errors().as_data():
                    if error.code == "missing_reference":
                        form.add_error("body", error)

    @admin.display(description="status", ordering="published_at")
    def state(self, obj):
        label = state(obj)
        if review.is_on() and obj.status == Article.Status.DRAFT:
            current = review.review_of(obj)
            if current.state != review.ReviewState.DRAFT:
                label = current.get_state_display()
        return label

    @admin.display(description="authors")
    def byline(self, obj):
        return ", ".join(a.author.display_name for a in obj.authorships.all())

    def save_model(self, request, obj, form, change):
        services.save_article(article=obj)
        form.discard_kept_uploads()

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        for entry in getattr(form.instance, "pasted_references", []):
            # One by one (not bulk_create): each save is recorded in this revision of the
            # history, so restoring it brings the pasted references back too.
            Reference.objects.create(
                article=form.instance,
                position=entry.position,
                citation=entry.citation,
                doi=entry.doi,
                pmid=entry.pmid,
            )
        # Published or scheduled: check the records as they now stand (a DOI on first
        # publication, the gate); a scheduled article that no longer validates is held back.
        if note := services.check_after_edit(article=form.instance, user=request.user):
            self.message_user(request, note, messages.WARNING)
        for warning in getattr(form.instance, "citation_warnings", []):
            self.message_user(request, warning, messages.WARNING)

    @admin.action(description="Register DOIs with Crossref")
    def register_dois(self, request, queryset):
        scholarly.register_dois(self, request, queryset, kind="article")

    @admin.display(description="export")
    def export(self, obj):
        return scholarly.export_state(obj)

    @admin.display(description="Crossref and JATS records")
    def export_report(self, obj):
        return scholarly.export_report(obj)

    @admin.display(description="Crossref deposits")
    def crossref_deposits(self, obj):
        return scholarly.deposits_table(obj)
