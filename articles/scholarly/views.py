"""Machine-readable views: an article's JATS XML, and the OAI-PMH endpoint."""

from django.http import HttpResponse
from django.urls import reverse
from django.utils.http import http_date
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods
from django.views.generic import DetailView
from lxml import etree

from articles.derived import records
from articles.derived.pagecache import article_tags, shows
from articles.models import Article
from articles.paths import site_url
from articles.scholarly import jats, oai


class ArticleJatsView(DetailView):
    """A published article as JATS 1.3 XML (404 for anything readers may not see)."""

    def get_queryset(self):
        return Article.objects.published().for_listing().prefetch_related("references")

    def render_to_response(self, context, **response_kwargs):
        article = self.object
        shows(*article_tags(article))
        document = jats.article_jats(article, url=site_url(article.get_absolute_url()))
        response = HttpResponse(document.to_bytes(), content_type=jats.CONTENT_TYPE)
        if changed := records.record_date(article):
            response["Last-Modified"] = http_date(changed.timestamp())
        return response


@csrf_exempt  # harvesters POST without a session; the endpoint only reads
@require_http_methods(["GET", "POST"])
def oai_pmh(request):
    """The OAI-PMH 2.0 endpoint: arguments in the query string (GET) or the form body (POST)."""
    arguments = request.GET if request.method == "GET" else request.POST
    base_url = site_url(reverse("articles:oai"))
    document = oai.Repository(base_url=base_url).build(
        {name: arguments.getlist(name) for name in arguments}
    )
    body = etree.tostring(document, xml_declaration=True, encoding="UTF-8")
    return HttpResponse(body, content_type="text/xml; charset=utf-8")
