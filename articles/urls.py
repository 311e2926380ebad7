from django.urls import path

from articles import feeds, views
from articles.caching import cache_public_page as cached
from articles.scholarly import views as scholarly_views

app_name = "articles"

urlpatterns = [
    path("issues/", cached(views.IssueListView.as_view()), name="issue-list"),
    path("issues/<slug:slug>/", cached(views.IssueDetailView.as_view()), name="issue-detail"),
    path("preview/<str:token>/", views.ArticlePreviewView.as_view(), name="article-preview"),
    path("preview/issue/<str:token>/", views.IssuePreviewView.as_view(), name="issue-preview"),
    path("articles/<slug:slug>/", cached(views.ArticleDetailView.as_view()), name="article-detail"),
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
    path("topics/", cached(views.TopicListView.as_view()), name="topic-list"),
    path("topics/<slug:slug>/", cached(views.TopicDetailView.as_view()), name="topic-detail"),
    path("sections/<slug:slug>/", cached(views.SectionDetailView.as_view()), name="section-detail"),
    path("authors/<slug:slug>/", cached(views.AuthorDetailView.as_view()), name="author-detail"),
    path("search/", cached(views.SearchView.as_view()), name="search"),
    path("feeds/rss/", cached(feeds.LatestRssFeed()), name="feed-latest-rss"),
    path("feeds/atom/", cached(feeds.LatestAtomFeed()), name="feed-latest-atom"),
    path("topics/<slug:slug>/rss/", cached(feeds.TopicRssFeed()), name="feed-topic-rss"),
    path("topics/<slug:slug>/atom/", cached(feeds.TopicAtomFeed()), name="feed-topic-atom"),
    path("sections/<slug:slug>/rss/", cached(feeds.SectionRssFeed()), name="feed-section-rss"),
    path("sections/<slug:slug>/atom/", cached(feeds.SectionAtomFeed()), name="feed-section-atom"),
]
