"""Public pages: thin views over the published() and for_listing() query rules."""

from django.http import Http404, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.formats import date_format
from django.views.generic import DetailView, ListView, TemplateView

from articles.derived.counts import live_count, sections_with_counts, topics_with_counts
from articles.derived.pagecache import article_tags, card_tags, shows
from articles.models import (
    Article,
    ArticleSlugHistory,
    Author,
    Issue,
    PreviewLink,
    Section,
    Topic,
)
from articles.models.article import load_relations
from articles.paths import site_url
from articles.reader import metadata
from articles.reader.context_processors import primary_journal
from articles.reader.paging import CountedPaginator
from articles.reader.search import SearchForm, published_years, search_page, terms_of
from articles.scholarly.doi import journal_of

PAGE_SIZE = 20
RELATED_ITEMS = 10


class PageMetaMixin:
    """Puts the page's head metadata (metadata.page_meta) in the context: about the object
    or subject the page shows, else from meta_title and meta_description."""

    meta_title = ""
    meta_description = ""
    noindex = False

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["meta"] = metadata.page_meta(
            self.request,
            getattr(self, "object", None) or getattr(self, "subject", None),
            title=self.meta_title,
            description=self.meta_description,
            page=context.get("page_obj"),
            noindex=self.noindex,
        )
        return context


def table_of_contents(issue: Issue, *, preview: bool = False, proof: bool = False):
    """An issue's published articles in the editors' order: by section, then position.

    A preview shows what readers will see once the issue is live: its articles that are
    published (scheduled ones included), not its drafts. A proof (editors only) lists
    the drafts too, each article not yet live marked with its state (`proof_mark`).
    """
    if proof:
        contents = list(Article.objects.for_cards().filter(issue=issue).in_contents_order())
        now = timezone.now()
        for article in contents:
            if article.status != Article.Status.PUBLISHED:
                article.proof_mark = "Draft"
            elif article.published_at and article.published_at > now:
                at = date_format(timezone.localtime(article.published_at), "M j, Y H:i")
                article.proof_mark = f"Scheduled for {at}"
        return contents
    articles = Article.objects.filter(status=Article.Status.PUBLISHED) if preview else None
    if articles is None:
        articles = Article.objects.published()
    return articles.for_cards().filter(issue=issue).in_contents_order()


class HomeView(PageMetaMixin, TemplateView):
    template_name = "articles/home.html"
    latest_count = 8
    featured_count = 3

    def get_context_data(self, **kwargs):
        journal = primary_journal()
        self.meta_description = metadata.describe(journal.description if journal else "")
        published = Article.objects.published()
        # The current issue comes with the first rows of its contents (one query; one more
        # only when none of its articles is live yet).
        newest_issue = Issue.objects.published().order_by(*Issue._meta.ordering).values("pk")[:1]
        contents = list(
            published.filter(issue__in=newest_issue)
            .select_related("issue__journal", "section")
            .only("title", "slug", "issue", "section__name", "section__slug")
            .in_contents_order()[:6]
        )
        current_issue = (
            contents[0].issue
            if contents
            else Issue.objects.published().select_related("journal").first()
        )
        newest = published.for_cards().newest_first()
        featured = list(newest.filter(is_featured=True)[: self.featured_count])
        # Enough of the newest to list the latest without what is featured.
        recent = list(newest[: self.featured_count + self.latest_count])
        latest = [a for a in recent if a not in featured][: self.latest_count]
        shows("list:home", "list:topics", *(tag for a in contents for tag in card_tags(a)))
        if current_issue:
            shows(f"issue:{current_issue.pk}")
        return super().get_context_data(
            current_issue=current_issue,
            contents=contents,
            featured=featured,
            latest=latest,
            topics=topics_with_counts(),
            json_ld=journal
            and metadata.periodical_json_ld(
                journal,
                absolute_url=site_url,
                search_url=reverse("articles:search"),
            ),
            **kwargs,
        )


class PreviewMixin(PageMetaMixin):
    """A page staff, or a shared-draft link, may see before readers can: then it is shown as
    a preview, never indexed nor cached."""

    preview = False  # True: always shown as a preview (the shared-draft link)

    def is_preview(self) -> bool:
        return self.preview or not self.object.is_public

    def get_context_data(self, **kwargs):
        self.noindex = self.is_preview()
        return super().get_context_data(is_preview=self.noindex, **kwargs)

    def render_to_response(self, context, **response_kwargs):
        response = super().render_to_response(context, **response_kwargs)
        if context["is_preview"]:
            response["X-Robots-Tag"] = "noindex, nofollow"
            add_never_cache_headers(response)
        return response


class IssueListView(PageMetaMixin, ListView):
    template_name = "articles/issue_list.html"
    context_object_name = "issues"
    meta_title = "Issues"
    meta_description = "Every issue of the journal, by year and volume."
    # Ten years of a bimonthly journal a page, grouped by year: no page grows with the archive.
    paginate_by = 60

    def get_queryset(self):
        shows("list:issues")
        return Issue.objects.published().select_related("journal")


class IssueDetailView(PreviewMixin, DetailView):
    """An issue's table of contents; staff who may change issues also see unpublished ones."""

    context_object_name = "issue"

    def get_queryset(self):
        issues = Issue.objects.select_related("journal")
        if not self.request.user.has_perm("articles.change_issue"):
            issues = issues.published()
        return issues

    def get_context_data(self, **kwargs):
        shows(f"issue:{self.object.pk}", f"list:issue:{self.object.pk}")
        # Editors proofing an unpublished issue see its drafts too, with links to them (a
        # shared-draft link shows only what readers will get).
        proof = (
            not self.preview
            and not self.object.is_public
            and self.request.user.has_perm("articles.change_article")
        )
        return super().get_context_data(
            contents=table_of_contents(self.object, preview=self.is_preview(), proof=proof),
            is_proof=proof,
            json_ld=metadata.issue_json_ld(self.object, absolute_url=site_url),
            **kwargs,
        )


class IssuePreviewView(IssueDetailView):
    """An issue, published or not, for whoever holds an active shared-draft link."""

    preview = True

    def get_object(self, queryset=None):
        links = PreviewLink.objects.active().filter(issue__isnull=False)
        link = get_object_or_404(links, token=self.kwargs["token"])
        return get_object_or_404(Issue.objects.select_related("journal"), pk=link.issue_id)


class ArticleDetailView(PreviewMixin, DetailView):
    """An article; staff who may change articles also see drafts and scheduled ones, as a
    preview: not indexed, not cached."""

    context_object_name = "article"

    def get_queryset(self):
        articles = Article.objects.all()
        if not self.request.user.has_perm("articles.change_article"):
            articles = articles.published()
        # The journal is the per-version copy (get_object); the byline, topics and
        # references are read in get_context_data.
        return articles.select_related("issue", "section")

    def get_object(self, queryset=None):
        article = super().get_object(queryset)
        journal = primary_journal()
        if article.issue and journal and article.issue.journal_id == journal.pk:
            article.issue.journal = journal
        return article

    def get(self, request, *args, **kwargs):
        try:
            return super().get(request, *args, **kwargs)
        except Http404:
            moved = self.moved_to(kwargs.get("slug"))
            if moved is None:
                raise
            return HttpResponsePermanentRedirect(moved.get_absolute_url())

    def moved_to(self, slug) -> Article | None:
        """The article that used to live at slug, if this reader may see it."""
        old = ArticleSlugHistory.objects.filter(slug=slug).values("article_id")
        return self.get_queryset().filter(pk__in=old).first() if slug else None

    def get_context_data(self, **kwargs):
        article = self.object
        shows(*article_tags(article), f"related:{article.pk}")
        related_items = article.related_items(RELATED_ITEMS)
        load_relations(article)
        journal = primary_journal()
        absolute = site_url
        image_url = absolute(article.lead_image.url) if article.lead_image else ""
        return super().get_context_data(
            references=article.references.all(),
            related_items=related_items,
            scholar_tags=metadata.scholar_tags(article, absolute_url=absolute, journal=journal),
            dublin_core_tags=metadata.dublin_core_tags(
                article, absolute_url=absolute, journal=journal
            ),
            json_ld=metadata.json_ld(
                article, absolute_url=absolute, journal=journal, image_url=image_url
            ),
            ama_citation=metadata.ama_citation(article, journal=journal),
            modified_at=metadata.modified_at(article),
            article_url=absolute(article.get_absolute_url()),
            crossmark_policy=crossmark_policy(article, journal),
            **kwargs,
        )


def crossmark_policy(article: Article, primary) -> str:
    """The DOI of the Crossmark policy covering article (empty: no Crossmark button)."""
    journal = journal_of(article, primary=primary)
    return journal.crossmark_policy_doi if article.doi and journal else ""


CITATION_FORMATS = {
    "ris": ("application/x-research-info-systems", metadata.ris),
    "bib": ("application/x-bibtex", metadata.bibtex),
}


def article_citation(request, slug: str, format: str):
    """A published article's citation as a file for reference managers (RIS or BibTeX)."""
    if format not in CITATION_FORMATS:
        raise Http404("Unknown citation format")
    content_type, render_citation = CITATION_FORMATS[format]
    article = get_object_or_404(Article.objects.published().for_listing(), slug=slug)
    shows(*article_tags(article))
    text = render_citation(
        article,
        journal=primary_journal(),
        url=site_url(article.get_absolute_url()),
    )
    response = HttpResponse(text, content_type=f"{content_type}; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{article.slug}.{format}"'
    return response


class ArticleListView(PageMetaMixin, ListView):
    """Published articles filed under one subject (topic, section or author), newest first."""

    paginate_by = PAGE_SIZE
    context_object_name = "articles"
    subject_model = None

    def get_subject(self):
        return get_object_or_404(self.subject_model, slug=self.kwargs["slug"])

    def get(self, request, *args, **kwargs):
        self.subject = self.get_subject()
        kind = self.subject_model._meta.model_name
        shows(f"{kind}:{self.subject.pk}", f"list:{kind}:{self.subject.pk}")
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return Article.objects.published().for_cards().newest_first()

    def get_context_data(self, **kwargs):
        return super().get_context_data(subject=self.subject, **kwargs)


class SubjectDetailView(ArticleListView):
    """A topic's or a section's page: its articles and its own feeds."""

    template_name = "articles/subject_detail.html"
    feed_prefix = ""

    def get_context_data(self, **kwargs):
        slug = {"slug": self.subject.slug}
        return super().get_context_data(
            subject_kind=self.subject_model._meta.verbose_name.capitalize(),
            rss_url=reverse(f"articles:feed-{self.feed_prefix}-rss", kwargs=slug),
            atom_url=reverse(f"articles:feed-{self.feed_prefix}-atom", kwargs=slug),
            **kwargs,
        )


class _CountedSubjectMixin:
    """Topic and section pages: the stored count paginates them (see articles.reader.paging)."""

    def get_paginator(self, queryset, per_page, **kwargs):
        return CountedPaginator(queryset, per_page, count=live_count(self.subject), **kwargs)


class TopicDetailView(_CountedSubjectMixin, SubjectDetailView):
    subject_model = Topic
    feed_prefix = "topic"

    def get_queryset(self):
        return super().get_queryset().filter(topics=self.subject)


class SectionDetailView(_CountedSubjectMixin, SubjectDetailView):
    subject_model = Section
    feed_prefix = "section"

    def get_queryset(self):
        return super().get_queryset().filter(section=self.subject)


class AuthorDetailView(ArticleListView):
    """An author's page; only authors with published work have one."""

    subject_model = Author
    template_name = "articles/author_detail.html"

    def get_queryset(self):
        return super().get_queryset().filter(authorships__author=self.subject)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # The paginator's count says whether there is any (allow_empty=False would ask the
        # database once more).
        if not context["paginator"].count:
            raise Http404("No published work by this author")
        return context


class TopicListView(PageMetaMixin, TemplateView):
    template_name = "articles/topic_list.html"
    meta_title = "Topics and sections"
    meta_description = "Browse the journal's articles by clinical topic or by section."

    def get_context_data(self, **kwargs):
        shows("list:topics")
        return super().get_context_data(
            topics=topics_with_counts(), sections=sections_with_counts(), **kwargs
        )


class SearchView(PageMetaMixin, TemplateView):
    template_name = "articles/search.html"
    meta_title = "Search"
    meta_description = "Search the journal's articles by title, text, author or topic."

    def get_context_data(self, **kwargs):
        shows("list:search")
        form = SearchForm(self.request.GET or None, years=published_years())
        query, results, filtered = "", None, False
        if form.is_valid():
            query = form.cleaned_data["q"]
            filtered = any(form.cleaned_data[name] for name in ("topic", "section", "year", "type"))
            results = search_page(form.cleaned_data, self.request.GET.get("page"), PAGE_SIZE)
        if query:
            self.meta_title = f"Search: {query}"
        self.noindex = bool(self.request.GET)
        return super().get_context_data(
            form=form,
            query=query,
            query_words=terms_of(query),
            page_obj=results and results.page,
            facets=results and results.facets,
            suggestion=results and results.suggestion,
            searched=results is not None,
            filtered=filtered,
            **kwargs,
        )


class ArticlePreviewView(ArticleDetailView):
    """An article, published or not, for whoever holds an active shared-draft link."""

    preview = True

    def get_object(self, queryset=None):
        links = PreviewLink.objects.active().filter(article__isnull=False)
        link = get_object_or_404(links, token=self.kwargs["token"])
        articles = Article.objects.for_listing().prefetch_related("references")
        return get_object_or_404(articles, pk=link.article_id)
