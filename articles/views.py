from django.views.generic import DetailView

from articles.models import Article, Issue


class ArticleDetailView(DetailView):
    def get_queryset(self):
        return Article.objects.published().for_listing()


class IssueDetailView(DetailView):
    def get_queryset(self):
        return Issue.objects.published().select_related("journal")
