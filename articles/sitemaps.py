"""sitemap.xml: an index of one sitemap per kind of page, each listing only public pages."""

from django.contrib.sitemaps import Sitemap
from django.db.models import Max, Q
from django.db.models.functions import Greatest
from django.urls import reverse

from articles.models import Article, Author, Issue, Section, Topic


def _published_article_ids():
    return Article.objects.published().values("pk")


def _changed_at():
    """When a reader's page last changed: its last edit, or its going live if later (an
    article saved while scheduled appears, unedited, at its publication time)."""
    return Greatest("updated_at", "published_at")


def _latest_article_change():
    return Article.objects.published().aggregate(latest=Max(_changed_at()))["latest"]


class ArticleSitemap(Sitemap):
    changefreq = "monthly"
    priority = 0.8
    limit = 5000

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


class IssueSitemap(Sitemap):
    changefreq = "monthly"
    priority = 0.6

    def items(self):
        return Issue.objects.published().only("slug", "updated_at").order_by("pk")

    def lastmod(self, obj):
        return obj.updated_at

    def get_latest_lastmod(self):
        return Issue.objects.published().aggregate(latest=Max("updated_at"))["latest"]


class _ListingSitemap(Sitemap):
    """Pages listing articles (topic, section, author): changed when one of them was."""

    changefreq = "weekly"
    priority = 0.5
    model = None
    relation = "articles"

    def items(self):
        published = Q(**{f"{self.relation}__in": _published_article_ids()})
        return (
            self.model.objects.annotate(
                last_article=Max(f"{self.relation}__updated_at", filter=published)
            )
            .filter(last_article__isnull=False)
            .only("slug")
            .order_by("pk")
        )

    def lastmod(self, obj):
        return obj.last_article

    def get_latest_lastmod(self):
        return _latest_article_change()


class TopicSitemap(_ListingSitemap):
    model = Topic


class SectionSitemap(_ListingSitemap):
    model = Section


class AuthorSitemap(_ListingSitemap):
    model = Author


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
