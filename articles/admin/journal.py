"""Issues, authors and the vocabularies: journals, sections, topics."""

import calendar

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db import models
from django.db.models import Q
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from reversion.admin import VersionAdmin

from articles import services
from articles.admin import scholarly
from articles.admin.autosave import AutosavesMixin
from articles.admin.common import (
    LabelledDateTimes,
    PublishActionsMixin,
    SaysWhenReadersSeeIt,
    SharesDraftsMixin,
    SiteLinkMixin,
    count_of,
    log_list_action,
    state,
    thumbnail,
)
from articles.admin.compare import ComparesVersions
from articles.admin.forms import AuthorForm, IssueForm, primary_journal_initial
from articles.admin.preview import IssuePreviewLinkInline
from articles.admin.shared import LargeTablePaginator, Reorderable
from articles.admin.uploads import KeepsUploadsAdmin
from articles.models import (
    Article,
    ArticleTopic,
    Author,
    Authorship,
    Issue,
    Journal,
    Section,
    Topic,
)
from articles.scholarly import indexing

MONTHS = {
    name.lower(): number
    for names in (calendar.month_name, calendar.month_abbr)
    for number, name in enumerate(names)
    if name
}


class IssueArticleInline(Reorderable, admin.TabularInline):
    """The table of contents in editing form: drag articles into order within the issue."""

    model = Article
    fields = ["title_link", "section", "state", "position"]
    readonly_fields = ["title_link", "section", "state"]
    extra = 0
    can_delete = False
    show_change_link = False
    verbose_name = "article"
    verbose_name_plural = "order of the table of contents (within each section)"

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("section")
            .with_visibility()
            .in_contents_order()
        )

    def has_add_permission(self, request, obj=None):
        # Articles are filed in an issue from the article form ("Add an article" above).
        return False

    @admin.display(description="title")
    def title_link(self, obj):
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:articles_article_change", args=[obj.pk]), obj
        )

    @admin.display(description="status")
    def state(self, obj):
        return state(obj)


@admin.register(Issue)
class IssueAdmin(
    AutosavesMixin,
    KeepsUploadsAdmin,
    LabelledDateTimes,
    SaysWhenReadersSeeIt,
    SharesDraftsMixin,
    PublishActionsMixin,
    SiteLinkMixin,
    ComparesVersions,
    VersionAdmin,
):
    form = IssueForm
    inlines = [IssueArticleInline, IssuePreviewLinkInline]
    # Large tables: no count of the whole table on each page (see LargeTablePaginator).
    paginator = LargeTablePaginator
    show_full_result_count = False
    list_display = ["cover", "label", "journal", "kind", "cover_date", "state", "article_count"]
    list_display_links = ["cover", "label"]
    list_filter = ["journal", "kind", "status"]
    list_select_related = ["journal"]
    search_fields = ["title", "slug", "journal__short_name"]
    date_hierarchy = "cover_date"
    readonly_fields = ["cover_preview", "table_of_contents", "doi", "crossref_deposits"]
    actions = [
        "publish",
        "unpublish",
        "share_draft",
        "register_dois",
        "download_pubmed",
        "download_doaj",
    ]
    fieldsets = [
        (None, {"fields": ["journal", ("volume", "number", "kind"), "title", "slug"]}),
        ("Cover", {"fields": ["cover_date", "cover_image", "cover_image_alt", "cover_preview"]}),
        ("Publishing", {"fields": ["status", "published_at", "description", "doi"]}),
        ("Table of contents", {"fields": ["table_of_contents"]}),
        ("Crossref", {"fields": ["crossref_deposits"]}),
    ]

    def get_search_results(self, request, queryset, search_term):
        """Find an issue by what its label says: "June 2022", "Vol 12, No 3", "special feature".

        Editors pick issues by label in the article form's autocomplete; every word must
        match the month, year, volume or number, or the title, kind, slug or journal.
        """
        match = Q()
        for word in search_term.replace(",", " ").lower().split():
            if word in {"vol", "vol.", "no", "no.", "-"}:
                continue
            if word.isdigit() and len(word) <= 4:
                # A number is a volume, an issue number or a year, not any digit in a slug.
                n = int(word)
                term = Q(volume=n) | Q(number=n) | Q(cover_date__year=n)
                if len(word) == 4:
                    term |= Q(title__icontains=word)
            else:
                term = (
                    Q(title__icontains=word)
                    | Q(slug__icontains=word)
                    | Q(kind__icontains=word)
                    | Q(journal__short_name__iexact=word)
                )
                if word in MONTHS:
                    term |= Q(cover_date__month=MONTHS[word])
            match &= term
        return queryset.filter(match), False

    def get_queryset(self, request):
        # Labels need the journal. An aggregate drops Meta.ordering, and autocomplete
        # pages need a stable order.
        return (
            super()
            .get_queryset(request)
            .select_related("journal")
            .annotate(num_articles=count_of(Article, "issue"))
            .order_by(*Issue._meta.ordering)
        )

    def get_changeform_initial_data(self, request):
        # One site, one primary journal: that is the journal of almost every new issue.
        return primary_journal_initial() | super().get_changeform_initial_data(request)

    @admin.display(description="cover")
    def cover(self, obj):
        return thumbnail(obj.cover_image, obj.cover_image_alt, 60)

    @admin.display(description="cover preview")
    def cover_preview(self, obj):
        return thumbnail(obj.cover_image, obj.cover_image_alt, 200)

    @admin.display(description="label", ordering="cover_date")
    def label(self, obj):
        return obj.label

    @admin.display(description="status", ordering="published_at")
    def state(self, obj):
        return state(obj)

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
            .in_contents_order()
        )
        for article in articles:
            article.byline = ", ".join(a.author.display_name for a in article.authorships.all())
            article.state = state(article)
        return render_to_string(
            "admin/articles/issue/table_of_contents.html", {"issue": obj, "articles": articles}
        )

    @admin.action(description="Register DOIs with Crossref")
    def register_dois(self, request, queryset):
        scholarly.register_dois(self, request, queryset, kind="issue")

    @admin.action(description="Download PubMed XML (one issue)", permissions=["change"])
    def download_pubmed(self, request, queryset):
        return scholarly.download_export(self, request, queryset, indexing.PUBMED)

    @admin.action(description="Download DOAJ XML (one issue)", permissions=["change"])
    def download_doaj(self, request, queryset):
        return scholarly.download_export(self, request, queryset, indexing.DOAJ)

    @admin.display(description="Crossref deposits")
    def crossref_deposits(self, obj):
        return scholarly.deposits_table(obj)


@admin.register(Author)
class AuthorAdmin(KeepsUploadsAdmin, SiteLinkMixin, VersionAdmin):
    form = AuthorForm
    # Large tables: no count of the whole table on each page (see LargeTablePaginator).
    paginator = LargeTablePaginator
    show_full_result_count = False
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
            .annotate(num_articles=count_of(Authorship, "author"))
            .order_by(*Author._meta.ordering)
        )

    def view_on_site(self, obj):
        # An author's page exists once they have published work; before that it is a 404.
        if Article.objects.published().filter(authorships__author=obj).exists():
            return super().view_on_site(obj)
        return None

    @admin.display(description="name", ordering="family_name")
    def name(self, obj):
        return obj.name

    @admin.display(description="articles", ordering="num_articles")
    def article_count(self, obj):
        return obj.num_articles

    @admin.display(description="photo preview")
    def photo_preview(self, obj):
        return thumbnail(obj.photo, obj.photo_alt, 160)

    @admin.action(description="Merge duplicates (you choose which one to keep)")
    def merge(self, request, queryset):
        authors = sorted(queryset, key=lambda a: (-a.num_articles, a.pk))
        if len(authors) < 2:
            self.message_user(request, "Select at least two authors to merge.", messages.WARNING)
            return None
        keep = next((a for a in authors if str(a.pk) == request.POST.get("keep")), None)
        if "apply" not in request.POST or keep is None:
            return TemplateResponse(
                request,
                "admin/articles/author/merge_authors.html",
                {
                    **self.admin_site.each_context(request),
                    "title": "Merge duplicate authors",
                    "opts": self.model._meta,
                    "authors": authors,
                    "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                },
            )
        duplicates = [a for a in authors if a.pk != keep.pk]
        names = ", ".join(f"{a.display_name} (#{a.pk})" for a in duplicates)
        merged = services.merge_authors(keep=keep, duplicates=duplicates, user=request.user)
        log_list_action(request, [keep], f"Merged from the list: {names}")
        self.message_user(
            request, f"Merged {merged} duplicate(s) into {keep.display_name}.", messages.SUCCESS
        )
        return None


@admin.register(Journal)
class JournalAdmin(admin.ModelAdmin):
    list_display = ["name", "short_name", "issn_print", "issn_online", "publisher", "is_primary"]
    search_fields = ["name", "short_name"]
    prepopulated_fields = {"slug": ["short_name"]}
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(Section)
class SectionAdmin(SiteLinkMixin, admin.ModelAdmin):
    list_display = ["name", "content_kind", "is_citable", "position"]
    list_editable = ["position"]
    list_filter = ["content_kind", "is_citable"]
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
            .annotate(num_articles=count_of(ArticleTopic, "topic"))
            .order_by(*Topic._meta.ordering)
        )

    @admin.display(description="articles", ordering="num_articles")
    def article_count(self, obj):
        return obj.num_articles
