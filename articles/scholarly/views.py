"""Machine-readable views: an article's JATS XML, and the OAI-PMH endpoint."""

from django.http import HttpResponse
from django.views.generic import DetailView

from articles.models import Article
from articles.scholarly import jats


class ArticleJatsView(DetailView):
    """A published article as JATS 1.3 XML (404 for anything readers may not see)."""

    def get_queryset(self):
        return Article.objects.published().for_listing().prefetch_related("references")

    def render_to_response(self, context, **response_kwargs):
        article = self.object
        document = jats.article_jats(
            article, url=self.request.build_absolute_uri(article.get_absolute_url())
        )
        return HttpResponse(document.to_bytes(), content_type=jats.CONTENT_TYPE)
