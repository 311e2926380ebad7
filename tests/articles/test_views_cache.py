"""Pages are cached for anonymous readers and change as soon as editors publish."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from articles.derived.pagecache import content_version, page_timeout
from articles.models import Article
from tests.articles.site_data import build_site
from tests.factories import make_article

pytestmark = pytest.mark.django_db


def test_publishing_shows_at_once_on_cached_pages(client):
    site = build_site()
    assert "Just in" not in client.get("/").content.decode()
    article = make_article(title="Just in", status=Article.Status.DRAFT, topics=[site["topic"]])
    assert "Just in" not in client.get("/").content.decode()
    article.status = Article.Status.PUBLISHED
    article.save()
    assert "Just in" in client.get("/").content.decode()
    assert "Just in" in client.get(site["topic"].get_absolute_url()).content.decode()


def test_editing_an_author_updates_cached_article_pages(client):
    site = build_site()
    url = site["article"].get_absolute_url()
    client.get(url)
    author = site["author"]
    author.credentials = "PharmD, FHOPA"
    author.save()
    assert "PharmD, FHOPA" in client.get(url).content.decode()


def test_pages_expire_when_the_next_scheduled_article_goes_live():
    build_site()
    assert page_timeout(content_version()) == 300
    make_article(published_at=timezone.now() + timedelta(seconds=90))
    timeout = page_timeout(content_version())
    assert 85 <= timeout <= 90


def test_a_scheduled_issue_also_shortens_the_cache():
    from tests.factories import make_issue

    build_site()
    make_issue(slug="next", published_at=timezone.now() + timedelta(seconds=120))
    assert 115 <= page_timeout(content_version()) <= 120


def test_staff_pages_are_never_cached_nor_served_to_readers(client):
    site = build_site()
    article = site["article"]
    article.status = Article.Status.DRAFT
    article.save()
    staff = User.objects.create_superuser("boss", password="pw")
    editor = Client()
    editor.force_login(staff)
    response = editor.get(article.get_absolute_url())
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]
    assert client.get(article.get_absolute_url()).status_code == 404
    home = editor.get("/")
    assert "private" in home["Cache-Control"]


def test_public_pages_are_the_same_bytes_for_every_visitor(settings):
    settings.CACHE_MIDDLEWARE_SECONDS = 0  # two fresh renders, not one render served twice
    site = build_site()
    urls = ["/", site["article"].get_absolute_url(), site["topic"].get_absolute_url(), "/issues/"]
    for url in urls:
        first, second = Client().get(url), Client().get(url)
        assert first.status_code == 200, url
        assert first.content == second.content, url
        assert not first.cookies and not second.cookies, url


def test_cached_pages_carry_nothing_per_visitor_and_the_box_still_posts():
    build_site()
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    page_one, page_two = first.get("/"), second.get("/")
    assert page_one.content == page_two.content
    assert b"csrfmiddlewaretoken" not in page_two.content
    assert not page_one.cookies and not page_two.cookies
    data = {"email": "x", "consent_text": "1", "started": ""}
    response = second.post("/subscribe/", data, HTTP_ORIGIN="http://testserver")
    assert response.status_code == 200  # the form again, to be checked: not a CSRF 403


def test_public_pages_are_public_with_a_longer_shared_lifetime(client, settings):
    settings.PAGE_CACHE_BROWSER_SECONDS = 60
    settings.PAGE_CACHE_SHARED_SECONDS = 600
    settings.CACHE_MIDDLEWARE_SECONDS = 900
    site = build_site()
    for url in ("/", "/issues/", site["article"].get_absolute_url()):
        for _ in range(2):  # the render, then the cached copy
            cache_control = client.get(url)["Cache-Control"]
            assert "public" in cache_control and "max-age=60" in cache_control, url
            assert "s-maxage=600" in cache_control, url


def test_anonymous_pages_are_stored_in_the_shared_cache(client, settings):
    # Its keys are read below.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    build_site()
    cache.clear()
    client.get("/issues/")
    assert any(key.startswith(":1:jhop:page2:") for key in cache._cache)
