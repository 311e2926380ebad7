import reversion
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count
from django.forms.models import BaseInlineFormSet
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from js_asset import Media
from reversion.admin import VersionAdmin

from articles import services
from articles.images import rendition
from articles.models import (
    Article,
    ArticleTopic,
    Author,
    Authorship,
    Issue,
    Journal,
    PreviewLink,
    Reference,
    RelatedItem,
    Section,
    Topic,
)

for child in (Authorship, ArticleTopic, Reference, RelatedItem):
    reversion.register(child)
# Preview links are access grants, not content: restoring a version must not touch them.
reversion.register(Article, follow=["authorships", "article_topics", "references", "related_links"])


def _thumbnail(image, alt: str, width: int = 80):
    found = rendition(image, width)
    if found is None:
        return "—"
    return format_html(
        '<img src="{}" width="{}" height="{}" alt="{}">',
        found.url,
        found.width,
        found.height,
        alt,
    )


def _state(obj) -> str:
    if obj.status != obj.Status.PUBLISHED:
        return "Draft"
    if obj.published_at and obj.published_at > timezone.now():
        return f"Scheduled for {date_format(timezone.localtime(obj.published_at), 'M j, Y H:i')}"
    return "Published"


# The editor (Tiptap) injects one fixed <style> block; allow exactly that block, on the
# article form only. tests/e2e/test_admin_editor.py fails if an upgrade changes it.
PROSE_EDITOR_STYLE_HASH = "'sha256-PlumsSlvJ7vvWzjqibGAYKq92O3y/4JTxWWsWJvyUYA='"


class SiteLinkMixin:
    def view_on_site(self, obj):
        # Relative, so the link follows the host the editor is on rather than the Site row.
        return obj.get_absolute_url()


class ReferenceInlineFormSet(BaseInlineFormSet):
    def clean(self):
        """Every number the body cites needs a reference, checked before anything is saved."""
        super().clean()
        if any(self.errors):
            return
        numbers = {
            form.cleaned_data["position"]
            for form in self.forms
            if form.cleaned_data
            and not form.cleaned_data.get("DELETE")
            and form.cleaned_data.get("position") is not None
        }
        # The admin has already validated the article form into self.instance.
        missing = sorted(self.instance.cited_numbers - numbers)
        if missing:
            cited = ", ".join(f"[{n}]" for n in missing)
            raise ValidationError(
                "The body cites %(cited)s but there is no reference with that number. "
                "Add the reference or correct the citation.",
                code="missing_reference",
                params={"cited": cited},
            )


class RelatedItemInlineFormSet(BaseInlineFormSet):
    def clean(self):
        super().clean()
        for form in self.forms:
            related = form.cleaned_data.get("related") if form.cleaned_data else None
            if related is not None and self.instance.pk and related.pk == self.instance.pk:
                form.add_error("related", "An article cannot be related to itself.")


class AuthorshipInline(admin.TabularInline):
    model = Authorship
    fields = ["author", "position"]
    autocomplete_fields = ["author"]
    extra = 1
    verbose_name = "author"
    verbose_name_plural = "authors (in byline order)"


class ArticleTopicInline(admin.TabularInline):
    model = ArticleTopic
    fields = ["topic", "position"]
    autocomplete_fields = ["topic"]
    extra = 1
    verbose_name = "topic"
    verbose_name_plural = "topics (in display order)"


class ReferenceInline(admin.StackedInline):
    model = Reference
    formset = ReferenceInlineFormSet
    fields = ["position", "citation", ("doi", "pmid"), "url"]
    formfield_overrides = {
        models.TextField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 100})},
        models.URLField: {"assume_scheme": "https"},
    }
    extra = 1
    verbose_name_plural = "references (the number is the one cited in the body)"


class RelatedItemInline(admin.TabularInline):
    model = RelatedItem
    formset = RelatedItemInlineFormSet
    fk_name = "article"
    fields = ["related", "position"]
    autocomplete_fields = ["related"]
    extra = 1
    verbose_name = "related item"
    verbose_name_plural = "related items picked by the editors (the rest are filled by topic)"


class PreviewLinkForm(forms.ModelForm):
    revoke = forms.BooleanField(required=False, help_text="Stop this link working now.")

    class Meta:
        model = PreviewLink
        fields = ["note", "expires_at"]

    def save(self, commit=True):
        if self.cleaned_data.get("revoke") and self.instance.revoked_at is None:
            self.instance.revoked_at = timezone.now()
        return super().save(commit)


class PreviewLinkInline(admin.TabularInline):
    model = PreviewLink
    form = PreviewLinkForm
    fields = ["link", "note", "expires_at", "state", "created_by", "revoke"]
    readonly_fields = ["link", "state", "created_by"]
    extra = 0
    can_delete = False
    verbose_name = "shared draft link"
    verbose_name_plural = "share a draft: links that show this article without a login"

    @admin.display(description="link")
    def link(self, obj):
        if not obj.pk:
            return "Saved with the article"
        return format_html('<a href="{0}">{0}</a>', obj.get_absolute_url())

    @admin.display(description="state")
    def state(self, obj):
        if not obj.pk:
            return ""
        if obj.revoked_at:
            return "Revoked"
        return "Active" if obj.is_active else "Expired"


@admin.register(Article)
class ArticleAdmin(SiteLinkMixin, VersionAdmin):
    list_display = ["title", "issue", "section", "state", "byline"]
    list_filter = ["status", "issue", "section", "topics", "is_featured"]
    list_select_related = ["issue__journal", "section"]
    search_fields = [
        "title",
        "slug",
        "authorships__author__family_name",
        "authorships__author__given_name",
    ]
    date_hierarchy = "published_at"
    autocomplete_fields = ["issue", "section"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["created_at", "updated_at"]
    inlines = [
        AuthorshipInline,
        ArticleTopicInline,
        ReferenceInline,
        RelatedItemInline,
        PreviewLinkInline,
    ]
    actions = ["publish", "unpublish", "share_draft"]
    fieldsets = [
        (None, {"fields": ["title", "slug", "issue", "section", "standfirst", "body"]}),
        (
            "Publishing",
            {"fields": ["status", "published_at", "is_featured", "position"]},
        ),
        (
            "Lead image",
            {"fields": ["lead_image", "lead_image_alt", "lead_image_caption"]},
        ),
        (
            "Print and metadata",
            {
                "fields": [
                    "doi",
                    ("first_page", "last_page"),
                    "pdf",
                    "keywords",
                    "seo_description",
                    ("created_at", "updated_at"),
                ],
                "classes": ["collapse"],
            },
        ),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("authorships__author")

    def render_change_form(self, request, context, *args, **kwargs):
        # The editor's import map is an inline script: it needs the CSP nonce.
        context["media"] = Media.from_media(context["media"], nonce=request.csp_nonce)
        response = super().render_change_form(request, context, *args, **kwargs)
        response._csp_update = {"style-src": [PROSE_EDITOR_STYLE_HASH]}
        return response

    @admin.display(description="status", ordering="published_at")
    def state(self, obj):
        return _state(obj)

    @admin.display(description="authors")
    def byline(self, obj):
        return ", ".join(a.author.display_name for a in obj.authorships.all())

    def save_formset(self, request, form, formset, change):
        if formset.model is PreviewLink:
            for link in formset.save(commit=False):
                if link.pk is None:
                    link.created_by = request.user
                link.save()
            return
        super().save_formset(request, form, formset, change)

    @admin.action(description="Publish (now, or at the scheduled time)")
    def publish(self, request, queryset):
        count = services.publish_articles(articles=queryset, user=request.user)
        self.message_user(request, f"{count} article(s) published.", messages.SUCCESS)

    @admin.action(description="Unpublish (back to draft)")
    def unpublish(self, request, queryset):
        count = services.unpublish_articles(articles=queryset, user=request.user)
        self.message_user(request, f"{count} article(s) unpublished.", messages.SUCCESS)

    @admin.action(description="Share a draft: create a 7-day preview link")
    def share_draft(self, request, queryset):
        for article in queryset:
            link = services.create_preview_link(article=article, user=request.user)
            url = request.build_absolute_uri(link.get_absolute_url())
            self.message_user(
                request,
                format_html(
                    "Preview of “{}” until {}: {}",
                    article,
                    date_format(timezone.localtime(link.expires_at), "M j, Y"),
                    url,
                ),
                messages.SUCCESS,
            )


@admin.register(Issue)
class IssueAdmin(SiteLinkMixin, VersionAdmin):
    list_display = ["cover", "label", "journal", "kind", "cover_date", "state", "article_count"]
    list_display_links = ["cover", "label"]
    list_filter = ["journal", "kind", "status"]
    list_select_related = ["journal"]
    search_fields = ["title", "slug", "journal__short_name"]
    date_hierarchy = "cover_date"
    readonly_fields = ["cover_preview", "table_of_contents"]
    actions = ["publish", "unpublish"]
    fieldsets = [
        (None, {"fields": ["journal", ("volume", "number", "kind"), "title", "slug"]}),
        ("Cover", {"fields": ["cover_date", "cover_image", "cover_image_alt", "cover_preview"]}),
        ("Publishing", {"fields": ["status", "published_at", "description"]}),
        ("Table of contents", {"fields": ["table_of_contents"]}),
    ]

    def get_queryset(self, request):
        # An aggregate drops Meta.ordering; autocomplete pages need a stable order.
        articles = Count("articles")
        return (
            super()
            .get_queryset(request)
            .annotate(num_articles=articles)
            .order_by(*Issue._meta.ordering)
        )

    @admin.display(description="cover")
    def cover(self, obj):
        return _thumbnail(obj.cover_image, obj.cover_image_alt, 60)

    @admin.display(description="cover preview")
    def cover_preview(self, obj):
        return _thumbnail(obj.cover_image, obj.cover_image_alt, 200)

    @admin.display(description="label", ordering="cover_date")
    def label(self, obj):
        return obj.label

    @admin.display(description="status", ordering="published_at")
    def state(self, obj):
        return _state(obj)

    @admin.display(description="articles", ordering="num_articles")
    def article_count(self, obj):
        return obj.num_articles

    @admin.display(description="table of contents")
    def table_of_contents(self, obj):
        if not obj.pk:
            return "Articles appear here once they are filed in this issue."
        articles = (
            obj.articles.select_related("section")
            .prefetch_related("authorships__author")
            .order_by("section__position", "section__name", "position", "pk")
        )
        groups: dict[str, list[Article]] = {}
        for article in articles:
            groups.setdefault(article.section.name if article.section else "No section", []).append(
                article
            )
        if not groups:
            return "No articles yet."
        return format_html_join(
            "",
            "<h3>{}</h3><ol>{}</ol>",
            (
                (
                    section,
                    format_html_join(
                        "",
                        '<li><a href="{}">{}</a> — {} — {} · <a href="{}">view on site</a></li>',
                        (
                            (
                                reverse("admin:articles_article_change", args=[a.pk]),
                                a.title,
                                ", ".join(x.author.display_name for x in a.authorships.all())
                                or "no authors",
                                _state(a),
                                a.get_absolute_url(),
                            )
                            for a in items
                        ),
                    ),
                )
                for section, items in groups.items()
            ),
        )

    @admin.action(description="Publish (now, or at the scheduled time)")
    def publish(self, request, queryset):
        count = services.publish_issues(issues=queryset, user=request.user)
        self.message_user(request, f"{count} issue(s) published.", messages.SUCCESS)

    @admin.action(description="Unpublish (back to draft)")
    def unpublish(self, request, queryset):
        count = services.unpublish_issues(issues=queryset, user=request.user)
        self.message_user(request, f"{count} issue(s) unpublished.", messages.SUCCESS)


@admin.register(Author)
class AuthorAdmin(SiteLinkMixin, VersionAdmin):
    list_display = ["name", "credentials", "affiliation", "orcid", "article_count"]
    search_fields = ["family_name", "given_name", "credentials", "affiliation", "orcid"]
    prepopulated_fields = {"slug": ["given_name", "family_name"]}
    readonly_fields = ["photo_preview"]
    actions = ["merge"]
    fields = [
        ("given_name", "family_name"),
        "credentials",
        "slug",
        "affiliation",
        "orcid",
        "bio",
        "photo",
        "photo_alt",
        "photo_preview",
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(num_articles=Count("authorships"))
            .order_by(*Author._meta.ordering)
        )

    @admin.display(description="name", ordering="family_name")
    def name(self, obj):
        return obj.name

    @admin.display(description="articles", ordering="num_articles")
    def article_count(self, obj):
        return obj.num_articles

    @admin.display(description="photo preview")
    def photo_preview(self, obj):
        return _thumbnail(obj.photo, obj.photo_alt, 160)

    @admin.action(description="Merge duplicates into the one with most articles")
    def merge(self, request, queryset):
        authors = sorted(queryset, key=lambda a: (-a.num_articles, a.pk))
        if len(authors) < 2:
            self.message_user(request, "Select at least two authors to merge.", messages.WARNING)
            return
        keep, duplicates = authors[0], authors[1:]
        merged = services.merge_authors(keep=keep, duplicates=duplicates, user=request.user)
        self.message_user(
            request, f"Merged {merged} duplicate(s) into {keep.display_name}.", messages.SUCCESS
        )


@admin.register(Journal)
class JournalAdmin(admin.ModelAdmin):
    list_display = ["name", "short_name", "issn_print", "issn_online", "publisher", "is_primary"]
    search_fields = ["name", "short_name"]
    prepopulated_fields = {"slug": ["short_name"]}


@admin.register(Section)
class SectionAdmin(SiteLinkMixin, admin.ModelAdmin):
    list_display = ["name", "content_kind", "position"]
    list_editable = ["position"]
    list_filter = ["content_kind"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Topic)
class TopicAdmin(SiteLinkMixin, admin.ModelAdmin):
    list_display = ["name", "article_count"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(num_articles=Count("article_topics"))
            .order_by(*Topic._meta.ordering)
        )

    @admin.display(description="articles", ordering="num_articles")
    def article_count(self, obj):
        return obj.num_articles


@admin.register(PreviewLink)
class PreviewLinkAdmin(admin.ModelAdmin):
    list_display = ["article", "note", "created_by", "created_at", "expires_at", "state", "link"]
    list_filter = ["expires_at", "revoked_at"]
    list_select_related = ["article", "created_by"]
    search_fields = ["article__title", "note"]
    autocomplete_fields = ["article"]
    fields = ["article", "note", "expires_at"]
    actions = ["revoke"]

    def save_model(self, request, obj, form, change):
        if obj.created_by_id is None:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    @admin.display(description="state")
    def state(self, obj):
        if obj.revoked_at:
            return "Revoked"
        return "Active" if obj.is_active else "Expired"

    @admin.display(description="link")
    def link(self, obj):
        return format_html('<a href="{0}">{0}</a>', obj.get_absolute_url())

    @admin.action(description="Revoke: stop the links working now")
    def revoke(self, request, queryset):
        count = services.revoke_preview_links(links=queryset)
        self.message_user(request, f"{count} link(s) revoked.", messages.SUCCESS)
