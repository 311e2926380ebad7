"""sitemap.xml: an index of one sitemap per kind of page, each listing only public pages.

Every file and the index are cheap at any size of the archive: articles are counted and
paged through a covering index of the published ones (a page starts at the id the index
gives for its first row, not at an OFFSET into the table); topics, sections and authors
with live articles, and when their pages last changed, are read from what
articles.derived.counts stores (less the articles not due yet, with no query unless something
is scheduled). Files hold at most LIMIT URLs (the protocol allows 50,000; smaller files
cost less to render, and a crawler fetches again only those that changed), and are
written without the template engine (sitemap_section), which took most of a file's time.
"""

from types import SimpleNamespace

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.contrib.sitemaps.views import SitemapIndexItem
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db.models import Max, Subquery
from django.http import Http404, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import escape
from django.utils.http import http_date

from articles.derived import records
from articles.derived.counts import not_due_yet, with_live_counts
from articles.derived.pagecache import shows
from articles.models import Article, Author, Issue, Section, Topic

LIMIT = 5000
SLUG = "__slug__"


def _changed_at():
    """When an article's page and record last changed (articles.derived.records), or its
    going live if later (an article saved while scheduled appears, unedited, at its
    publication time)."""
    return records.record_date_expression()


def _latest_article_change():
    """The latest of the live articles' changes: the latest record change or the latest
    going live, each found from the top of its index."""
    live = Article.objects.published().order_by()
    latest = [
        live.order_by(f"-{field}").values_list(field, flat=True).first()
        for field in ("record_modified_at", "published_at")
    ]
    return max(filter(None, latest), default=None)


class _BySlug:
    """Pages located by their slug alone: the URL is reversed once per file, not per page."""

    url_name = None

    def location(self, obj):
        if not hasattr(self, "_pattern"):
            self._pattern = reverse(self.url_name, kwargs={"slug": SLUG})
        return self._pattern.replace(SLUG, obj.slug)


class KeysetPaginator(Paginator):
    """Pages of a queryset ordered by pk, each starting at the pk of its first row (read
    from an index) rather than skipping the rows before it."""

    def page(self, number):
        number = self.validate_number(number)
        skipped = (number - 1) * self.per_page
        rows = self.object_list
        if skipped:
            first = rows.order_by("pk").values("pk")[skipped : skipped + 1]
            rows = rows.filter(pk__gte=Subquery(first))
        return self._get_page(rows[: self.per_page], number, self)


class ArticleSitemap(_BySlug, Sitemap):
    changefreq = "monthly"
    priority = 0.8
    limit = LIMIT
    url_name = "articles:article-detail"

    @property
    def paginator(self):
        return KeysetPaginator(self._items(), self.limit)

    def items(self):
        return (
            Article.objects.published()
            .annotate(changed_at=_changed_at())
            .only("slug")
            .order_by("pk")
        )

    def lastmod(self, obj):
        return obj.changed_at

    def get_latest_lastmod(self):
        return _latest_article_change()


class IssueSitemap(_BySlug, Sitemap):
    changefreq = "monthly"
    priority = 0.6
    limit = LIMIT
    url_name = "articles:issue-detail"

    def items(self):
        return Issue.objects.published().only("slug", "updated_at").order_by("pk")

    def lastmod(self, obj):
        return obj.updated_at

    def get_latest_lastmod(self):
        return Issue.objects.published().aggregate(latest=Max("updated_at"))["latest"]


class _ListingSitemap(_BySlug, Sitemap):
    """Pages listing articles (topic, section, author): those with live articles, dated
    when their list of articles last changed (an article added, edited or withdrawn)."""

    changefreq = "weekly"
    priority = 0.5
    limit = LIMIT
    model = None

    @cached_property
    def pending(self) -> list[int]:
        # Found once per file: items() is read for the count, the page and the lastmod.
        return not_due_yet()

    def items(self):
        fields = ("slug", "published_count", "articles_changed_at")
        return with_live_counts(self.model.objects.only(*fields).order_by("pk"), self.pending)

    def lastmod(self, obj):
        # A scheduled article dates its list when it goes live: until then, now.
        return min(obj.articles_changed_at, timezone.now()) if obj.articles_changed_at else None

    def get_latest_lastmod(self):
        latest = self.items().aggregate(latest=Max("articles_changed_at"))["latest"]
        return min(latest, timezone.now()) if latest else None


class TopicSitemap(_ListingSitemap):
    model = Topic
    url_name = "articles:topic-detail"


class SectionSitemap(_ListingSitemap):
    model = Section
    url_name = "articles:section-detail"


class AuthorSitemap(_ListingSitemap):
    model = Author
    url_name = "articles:author-detail"


class PageSitemap(Sitemap):
    changefreq = "daily"
    priority = 1.0

    def items(self):
        return ["home", "articles:issue-list", "articles:topic-list"]

    def location(self, item):
        return reverse(item)


sitemaps = {
    "pages": PageSitemap,
    "articles": ArticleSitemap,
    "issues": IssueSitemap,
    "topics": TopicSitemap,
    "sections": SectionSitemap,
    "authors": AuthorSitemap,
}


def _day(value) -> str:
    # As Django's sitemap template writes it: the date in the site's time zone.
    if hasattr(value, "tzinfo") and timezone.is_aware(value):
        value = timezone.localtime(value)
    return value.strftime("%Y-%m-%d")


def _site() -> tuple[str, SimpleNamespace]:
    """The protocol and "site" (its domain) sitemaps name: SITE_URL's, as configured now,
    not the django_site row's (written once, at the first migrate)."""
    protocol, _, domain = settings.SITE_URL.partition("://")
    return protocol, SimpleNamespace(domain=domain, name=settings.SITE_SHORT_NAME)


def sitemap_index(request):
    """sitemap.xml: what django.contrib.sitemaps.views.index answers, on SITE_URL."""
    shows("list:sitemap")
    protocol, site = _site()
    items, latest = [], []
    for section, sitemap in sitemaps.items():
        sitemap = sitemap()
        location = f"{protocol}://{site.domain}{reverse('sitemap-section', args=[section])}"
        lastmod = sitemap.get_latest_lastmod()
        latest.append(lastmod)
        items.append(SitemapIndexItem(location, lastmod))
        for page in range(2, sitemap.paginator.num_pages + 1):
            items.append(SitemapIndexItem(f"{location}?p={page}", lastmod))
    headers = None
    if latest and all(latest):
        headers = {"Last-Modified": http_date(max(latest).timestamp())}
    response = TemplateResponse(
        request,
        "sitemap_index.xml",
        {"sitemaps": items},
        content_type="application/xml",
        headers=headers,
    )
    response["X-Robots-Tag"] = "noindex, noodp, noarchive"
    return response


def sitemap_section(request, section: str):
    """One sitemap file (?p= its page): what django.contrib.sitemaps.views.sitemap
    answers, written directly instead of through its template."""
    if section not in sitemaps:
        raise Http404(f"No sitemap for {section!r}")
    shows("list:sitemap")
    site = sitemaps[section]()
    protocol, domain = _site()
    try:
        urls = site.get_urls(page=request.GET.get("p", 1), site=domain, protocol=protocol)
    except (EmptyPage, PageNotAnInteger) as error:
        raise Http404("No such page of the sitemap") from error
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
    ]
    for url in urls:
        parts.append(f"<url><loc>{escape(url['location'])}</loc>")
        if url["lastmod"]:
            parts.append(f"<lastmod>{_day(url['lastmod'])}</lastmod>")
        if url["changefreq"]:
            parts.append(f"<changefreq>{url['changefreq']}</changefreq>")
        if url["priority"]:
            parts.append(f"<priority>{url['priority']}</priority>")
        parts.append("</url>")
    parts.append("</urlset>\n")
    response = HttpResponse("".join(parts), content_type="application/xml")
    response["X-Robots-Tag"] = "noindex, noodp, noarchive"
    if latest := getattr(site, "latest_lastmod", None):
        response["Last-Modified"] = http_date(latest.timestamp())
    return response
