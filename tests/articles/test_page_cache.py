"""The page cache: answered before the rest of the middleware, conditional requests,
who bypasses it, and every path that invalidates it (articles/pagecache.py)."""

import time
from datetime import timedelta
from unittest import mock

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from django.utils.http import http_date

from articles import signals as pagecache_signals
from articles.derived import pagecache
from articles.derived.pagecache import content_version
from articles.models import Article, PreviewLink, Reference
from tests.articles.site_data import build_site
from tests.factories import make_article, make_author, make_issue, make_topic

pytestmark = pytest.mark.django_db


@pytest.fixture
def site():
    return build_site()


def test_a_hit_is_answered_before_sessions_csrf_and_auth(client, site, monkeypatch):
    url = site["article"].get_absolute_url()
    first = client.get(url)
    assert first.status_code == 200
    calls = []
    monkeypatch.setattr(
        "django.contrib.sessions.middleware.SessionMiddleware.process_request",
        lambda self, request: calls.append("session"),
    )
    second = client.get(url)
    assert calls == []  # the session middleware never saw the request
    assert second.content == first.content
    for header in ("Content-Security-Policy", "X-Frame-Options", "Content-Type"):
        assert second[header] == first[header]


def test_a_hit_costs_no_query(client, site, django_assert_num_queries):
    client.get("/")
    with django_assert_num_queries(0):
        assert client.get("/").status_code == 200


def test_public_pages_send_validators_and_answer_304(client, site):
    url = site["article"].get_absolute_url()
    page = client.get(url)
    etag, modified = page["ETag"], page["Last-Modified"]
    assert etag.startswith('"') and modified
    assert "Cookie" not in page.get("Vary", "")
    not_modified = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert not_modified.status_code == 304 and not_modified.content == b""
    assert not_modified["ETag"] == etag
    assert client.get(url, HTTP_IF_MODIFIED_SINCE=modified).status_code == 304
    older = http_date(time.time() - 3600)
    assert client.get(url, HTTP_IF_MODIFIED_SINCE=older).status_code == 200
    assert client.get(url, HTTP_IF_NONE_MATCH='"other"').status_code == 200


def test_a_correction_changes_the_etag(client, site):
    article = site["article"]
    etag = client.get(article.get_absolute_url())["ETag"]
    article.title = "Corrected title"
    article.save()
    response = client.get(article.get_absolute_url(), HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert "Corrected title" in response.content.decode()
    assert response["ETag"] != etag


def test_head_is_answered_from_the_cache_without_a_body(client, site):
    page = client.get("/")
    head = client.head("/")
    assert head.status_code == 200 and head.content == b""
    assert head["Content-Length"] == str(len(page.content))
    assert head["ETag"] == page["ETag"]


def test_signed_in_staff_bypass_the_cache_and_their_pages_are_never_stored(client, site):
    article = site["article"]
    article.status = Article.Status.DRAFT
    article.save()
    editor = Client()
    editor.force_login(User.objects.create_superuser("boss", password="pw"))
    staff_view = editor.get(article.get_absolute_url())
    assert staff_view.status_code == 200  # staff see the draft
    assert "no-store" in staff_view["Cache-Control"] and "private" in staff_view["Cache-Control"]
    assert client.get(article.get_absolute_url()).status_code == 404
    assert client.get(article.get_absolute_url()).status_code == 404
    # Staff's home page is fresh and private too; the public one is public.
    assert "no-store" in editor.get("/")["Cache-Control"]
    assert "public" in client.get("/")["Cache-Control"]


def test_a_cached_page_is_not_served_to_a_signed_in_editor(client, site):
    article = site["article"]
    client.get(article.get_absolute_url())  # stored for readers
    Article.objects.filter(pk=article.pk).update(title="Changed without signals")
    editor = Client()
    editor.force_login(User.objects.create_superuser("boss", password="pw"))
    assert "Changed without signals" in editor.get(article.get_absolute_url()).content.decode()


def test_a_preview_link_page_is_never_stored(client, site, settings):
    # Its keys are read below.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    article = make_article(title="Secret draft", status=Article.Status.DRAFT)
    link = PreviewLink.objects.create(
        article=article, expires_at=timezone.now() + timedelta(days=1)
    )
    url = f"/preview/{link.token}/"
    response = client.get(url)
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    assert not any(key.startswith(":1:jhop:page2:") for key in cache._cache)


def test_not_found_pages_are_not_stored(client, site):
    assert client.get("/articles/not-yet/").status_code == 404
    make_article(title="Now here", slug="not-yet")
    assert client.get("/articles/not-yet/").status_code == 200


def test_a_bad_host_is_not_looked_up(client, site):
    assert client.get("/", HTTP_HOST="evil.example").status_code == 400


# Invalidation ------------------------------------------------------------------------


def test_saving_a_draft_leaves_cached_pages_alone(site):
    topic = make_topic("Drafting")
    before = content_version()
    draft = make_article(title="Work in progress", status=Article.Status.DRAFT)
    assert content_version() == before
    draft.title = "Still in progress"
    draft.save()
    Reference.objects.create(article=draft, position=1, citation="A. Ref. 2020.")
    draft.topics.add(topic)
    PreviewLink.objects.create(article=draft, expires_at=timezone.now() + timedelta(days=1))
    assert content_version() == before
    newcomer = make_author(given_name="New", family_name="Person")  # no published work yet
    newcomer.credentials = "MD"
    newcomer.save()
    draft.authors.add(newcomer)
    assert content_version() == before
    issue = make_issue(slug="next-issue", status=Article.Status.DRAFT)
    issue.title = "Planned"
    issue.save()
    assert content_version() == before


@pytest.mark.parametrize(
    "change",
    [
        "publish",
        "unpublish",
        "schedule",
        "edit",
        "delete",
        "reference",
        "topic",
        "author",
        "issue",
    ],
)
def test_every_public_change_invalidates_cached_pages(client, site, change):
    article = site["article"]
    url = article.get_absolute_url()
    client.get(url)
    client.get("/")
    before = content_version()
    if change == "publish":
        make_article(title="Brand new")
    elif change == "unpublish":
        article.status = Article.Status.DRAFT
        article.save()
    elif change == "schedule":
        make_article(title="Later", published_at=timezone.now() + timedelta(days=1))
    elif change == "edit":
        article.title = "Edited"
        article.save()
    elif change == "delete":
        article.delete()
    elif change == "reference":
        Reference.objects.create(article=article, position=9, citation="New ref. 2024.")
    elif change == "topic":
        article.topics.add(make_topic("Leukemia"))
    elif change == "author":
        author = site["author"]
        author.credentials = "PharmD, BCOP, FHOPA"
        author.save()
    elif change == "issue":
        issue = site["issue"]
        issue.title = "Renamed issue"
        issue.save()
    assert content_version() != before


def test_the_same_object_published_then_unpublished_invalidates_twice(site):
    article = make_article(title="Flip", status=Article.Status.DRAFT)
    first = content_version()
    article.status = Article.Status.PUBLISHED
    article.save()
    second = content_version()
    article.status = Article.Status.DRAFT
    article.save()
    assert first != second != content_version()


def test_unpublishing_removes_the_article_from_cached_pages_at_once(client, site):
    article = site["article"]
    assert article.title in client.get("/").content.decode()
    article.status = Article.Status.DRAFT
    article.save()
    assert client.get(article.get_absolute_url()).status_code == 404
    assert article.title not in client.get("/").content.decode()


def test_a_scheduled_article_appears_when_due_without_cron(client, site, monkeypatch):
    make_article(title="Goes live soon", published_at=timezone.now() + timedelta(seconds=90))
    assert "Goes live soon" not in client.get("/").content.decode()
    assert "Goes live soon" not in client.get("/").content.decode()  # from the cache
    # The moment comes (no signal, no cron): the stored page has run out.
    Article.objects.filter(title="Goes live soon").update(published_at=timezone.now())
    later = time.time() + 91
    monkeypatch.setattr(pagecache.time, "time", lambda: later)
    assert "Goes live soon" in client.get("/").content.decode()


def test_the_shared_lifetime_is_cut_short_by_the_next_go_live(client, site, settings):
    settings.PAGE_CACHE_SHARED_SECONDS = 3600
    settings.PAGE_CACHE_BROWSER_SECONDS = 600
    make_article(title="Soon", published_at=timezone.now() + timedelta(seconds=120))
    cache_control = client.get("/")["Cache-Control"]
    s_maxage = int(cache_control.split("s-maxage=")[1].split(",")[0])
    max_age = int(cache_control.split("max-age=")[1].split(",")[0])
    assert 100 <= s_maxage <= 120 and 100 <= max_age <= 120


def test_nginx_is_told_to_revalidate_by_default(client, site, settings):
    assert client.get("/")["X-Accel-Expires"] == "@1"
    settings.PAGE_CACHE_PROXY_SECONDS = 5
    assert client.get("/issues/")["X-Accel-Expires"] == "5"


# The purge hook ----------------------------------------------------------------------


class FakeResponse:
    status = 200

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_publishing_calls_the_purge_url_after_commit(
    site, settings, django_capture_on_commit_callbacks
):
    settings.PAGE_CACHE_PURGE_URL = "https://api.cdn.example/purge"
    settings.PAGE_CACHE_PURGE_TOKEN = "s3cret"
    received = []
    pagecache_signals.pages_invalidated.connect(
        lambda **kw: received.append(kw), weak=False, dispatch_uid="t"
    )
    try:
        with mock.patch("urllib.request.urlopen", return_value=FakeResponse()) as urlopen:
            with django_capture_on_commit_callbacks(execute=True):
                make_article(title="Breaking")
            assert urlopen.call_count == 1
            request = urlopen.call_args.args[0]
            assert request.full_url == "https://api.cdn.example/purge"
            assert request.get_method() == "POST"
            assert request.get_header("Authorization") == "Bearer s3cret"
            with django_capture_on_commit_callbacks(execute=True):
                make_article(title="Draft", status=Article.Status.DRAFT)
            assert urlopen.call_count == 1  # a draft purges nothing
    finally:
        pagecache_signals.pages_invalidated.disconnect(dispatch_uid="t")
    assert len(received) == 1


def test_no_purge_call_without_a_url(site, settings, django_capture_on_commit_callbacks):
    settings.PAGE_CACHE_PURGE_URL = ""
    with (
        mock.patch("urllib.request.urlopen") as urlopen,
        django_capture_on_commit_callbacks(execute=True),
    ):
        make_article(title="Breaking")
    urlopen.assert_not_called()


def test_the_purge_command_invalidates_and_calls_the_hook(
    client, site, settings, django_capture_on_commit_callbacks
):
    settings.PAGE_CACHE_PURGE_URL = "https://api.cdn.example/purge"
    client.get("/")
    before = content_version()
    with (
        mock.patch("urllib.request.urlopen", return_value=FakeResponse()) as urlopen,
        django_capture_on_commit_callbacks(execute=True),
    ):
        call_command("purge_page_cache", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert content_version() != before
    assert urlopen.call_count == 1
