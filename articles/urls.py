from django.urls import path

from articles.derived.pagecache import cache_public_page as cached
from articles.reader import feeds, views
from articles.reader.prepared import plan_once
from articles.scholarly import views as scholarly_views


def page(view):
    """A reader page: cached for anonymous readers, its queries prepared (reader.prepared)."""
    return cached(plan_once(view))


app_name = "articles"

urlpatterns = [
    path("issues/", page(views.IssueListView.as_view()), name="issue-list"),
    path("issues/<slug:slug>/", page(views.IssueDetailView.as_view()), name="issue-detail"),
    path("preview/<slug:token>/", views.ArticlePreviewView.as_view(), name="article-preview"),
    path("preview/issue/<slug:token>/", views.IssuePreviewView.as_view(), name="issue-preview"),
    path("articles/<slug:slug>/", page(views.ArticleDetailView.as_view()), name="article-detail"),
    path(
        "articles/<slug:slug>/cite.<str:format>",
        cached(views.article_citation),
        name="article-citation",
    ),
    path(
        "articles/<slug:slug>/jats.xml",
        cached(scholarly_views.ArticleJatsView.as_view()),
        name="article-jats",
    ),
    path("oai", scholarly_views.oai_pmh, name="oai"),
    path("topics/", page(views.TopicListView.as_view()), name="topic-list"),
    path("topics/<slug:slug>/", page(views.TopicDetailView.as_view()), name="topic-detail"),
    path("sections/<slug:slug>/", page(views.SectionDetailView.as_view()), name="section-detail"),
    path("authors/<slug:slug>/", page(views.AuthorDetailView.as_view()), name="author-detail"),
    path("search/", cached(views.SearchView.as_view()), name="search"),
    path("feeds/rss/", page(feeds.LatestRssFeed()), name="feed-latest-rss"),
    path("feeds/atom/", page(feeds.LatestAtomFeed()), name="feed-latest-atom"),
    path("topics/<slug:slug>/rss/", page(feeds.TopicRssFeed()), name="feed-topic-rss"),
    path("topics/<slug:slug>/atom/", page(feeds.TopicAtomFeed()), name="feed-topic-atom"),
    path("sections/<slug:slug>/rss/", page(feeds.SectionRssFeed()), name="feed-section-rss"),
    path("sections/<slug:slug>/atom/", page(feeds.SectionAtomFeed()), name="feed-section-atom"),
]
