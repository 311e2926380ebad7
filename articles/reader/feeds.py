"""RSS and Atom feeds: the latest articles, and the latest in each topic and section."""

from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed

from articles.derived.pagecache import article_tags, shows
from articles.models import Article, Section, Topic
from articles.paths import site_url
from articles.reader.context_processors import primary_journal
from articles.reader.metadata import article_description, modified_at

FEED_SIZE = 20
DC_NS = "http://purl.org/dc/elements/1.1/"


class DoiMixin:
    """Each entry carries its article's DOI as a Dublin Core identifier (doi:10.…)."""

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        if item.get("doi"):
            handler.addQuickElement("dc:identifier", f"doi:{item['doi']}")


class RssWithDoi(DoiMixin, Rss201rev2Feed):
    def rss_attributes(self):
        return {**super().rss_attributes(), "xmlns:dc": DC_NS}


class AtomWithDoi(DoiMixin, Atom1Feed):
    def root_attributes(self):
        return {**super().root_attributes(), "xmlns:dc": DC_NS}


class LatestRssFeed(Feed):
    feed_type = RssWithDoi

    def title(self, obj=None):
        journal = primary_journal()
        name = journal.name if journal else "Journal"
        return f"{name}: {obj}" if obj else f"{name}: latest articles"

    url_name = "articles:feed-latest-rss"

    def link(self, obj=None):
        return site_url(obj.get_absolute_url() if obj else reverse("home"))

    def feed_url(self, obj=None):
        return site_url(reverse(self.url_name, kwargs={"slug": obj.slug} if obj else None))

    def item_link(self, item):
        return site_url(item.get_absolute_url())

    def description(self, obj=None):
        return f"The latest articles in {obj}." if obj else "The latest articles."

    def author_name(self, obj=None):
        """The journal: Atom needs a feed author when an entry (a news item) names none."""
        journal = primary_journal()
        return journal.name if journal else None

    def filter(self, articles, obj):
        shows("list:feeds")
        return articles

    def items(self, obj=None):
        articles = Article.objects.published().for_listing().newest_first()
        items = list(self.filter(articles, obj)[:FEED_SIZE])
        shows(*(tag for item in items for tag in article_tags(item)))
        return items

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        return article_description(item)

    def item_pubdate(self, item):
        return item.published_at

    def item_updateddate(self, item):
        return modified_at(item)

    def item_author_name(self, item):
        return ", ".join(a.display_name for a in item.ordered_authors) or None

    def item_categories(self, item):
        return item.categories

    def item_extra_kwargs(self, item):
        return {"doi": item.doi}


class LatestAtomFeed(LatestRssFeed):
    feed_type = AtomWithDoi
    url_name = "articles:feed-latest-atom"
    subtitle = LatestRssFeed.description


class TopicRssFeed(LatestRssFeed):
    url_name = "articles:feed-topic-rss"

    def get_object(self, request, slug):
        return get_object_or_404(Topic, slug=slug)

    def filter(self, articles, obj):
        shows(f"topic:{obj.pk}", f"list:topic:{obj.pk}")
        return articles.filter(topics=obj)


class TopicAtomFeed(TopicRssFeed):
    feed_type = AtomWithDoi
    url_name = "articles:feed-topic-atom"
    subtitle = LatestRssFeed.description


class SectionRssFeed(LatestRssFeed):
    url_name = "articles:feed-section-rss"

    def get_object(self, request, slug):
        return get_object_or_404(Section, slug=slug)

    def filter(self, articles, obj):
        shows(f"section:{obj.pk}", f"list:section:{obj.pk}")
        return articles.filter(section=obj)


class SectionAtomFeed(SectionRssFeed):
    feed_type = AtomWithDoi
    url_name = "articles:feed-section-atom"
    subtitle = LatestRssFeed.description
