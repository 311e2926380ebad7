from django.urls import path

from articles import views

app_name = "articles"

urlpatterns = [
    path("issues/<slug:slug>/", views.IssueDetailView.as_view(), name="issue-detail"),
    path("articles/<slug:slug>/", views.ArticleDetailView.as_view(), name="article-detail"),
]
