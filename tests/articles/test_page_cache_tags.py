"""Cache tags: a page names what it shows, and an edit cools only the pages that show what
it changed (articles/derived/pagecache.py, docs/page-cache.md)."""

import json
from datetime import date
from unittest import mock

import pytest
from django.test import Client

from articles.derived import pagecache
from articles.models import Article, Reference
from tests.factories import (
    make_article,
    make_author,
    make_issue,
    make_journal,
    make_section,
    make_topic,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def journal():
    """Two unrelated corners of a journal: nothing on one page shows the other's article,
    except the lists of everything (home, feeds, search, sitemap)."""
    make_journal()
    old_issue = make_issue(volume=1, number=1, cover_date=date(2020, 1, 1), slug="jan-2020")
    new_issue = make_issue(volume=3, number=1, cover_date=date(2022, 1, 1), slug="jan-2022")
    lymphoma, breast = make_topic("Lymphoma"), make_topic("Breast Cancer")
    reviews, news = make_section("Reviews"), make_section("News")
    ann, bob = make_author(family_name="Ann"), make_author(family_name="Bob")
    old = make_article(
        title="Old review",
        issue=old_issue,
        section=reviews,
        topics=[lymphoma],
        authors=[ann],
        references=["A. Old ref. 2019."],
    )
    new = make_article(
        title="New report", issue=new_issue, section=news, topics=[breast], authors=[bob]
    )
    Article.objects.filter(pk=old.pk).update(published_at=new.published_at.replace(year=2020))
    return {
        "old": Article.objects.get(pk=old.pk),
        "new": new,
        "ann": ann,
        "lymphoma": lymphoma,
        "reviews": reviews,
        "old_issue": old_issue,
    }


def warm(client, *urls):
    for url in urls:
        assert client.get(url).status_code == 200, url
        assert client.get(url)["X-Cache"] == "HIT", url


def cold(client, *urls) -> set[str]:
    """Which of urls are rendered again (not answered from the cache)."""
    return {url for url in urls if client.get(url)["X-Cache"] == "MISS"}


def pages(journal) -> dict[str, str]:
    return {
        "old article": journal["old"].get_absolute_url(),
        "new article": journal["new"].get_absolute_url(),
        "old issue": journal["old_issue"].get_absolute_url(),
        "lymphoma": journal["lymphoma"].get_absolute_url(),
        "breast": "/topics/breast-cancer/",
        "ann": journal["ann"].get_absolute_url(),
        "bob": journal["new"].authors.get().get_absolute_url(),
        "home": "/",
        "issues": "/issues/",
        "topics": "/topics/",
    }


def test_a_page_names_what_it_shows_and_says_hit_or_miss(client, journal):
    article = journal["old"]
    first = client.get(article.get_absolute_url())
    assert first["X-Cache"] == "MISS"
    tags = first["Cache-Tag"].split(",")
    for tag in (
        f"article:{article.pk}",
        f"issue:{article.issue_id}",
        f"section:{article.section_id}",
        f"topic:{journal['lymphoma'].pk}",
        f"author:{journal['ann'].pk}",
        f"related:{article.pk}",
        f"article:{journal['new'].pk}",  # in its related items
        "site",
    ):
        assert tag in tags, tag
    assert first["Surrogate-Key"].split(" ") == tags
    second = client.get(article.get_absolute_url())
    assert second["X-Cache"] == "HIT"
    assert second["Cache-Tag"] == first["Cache-Tag"]
    assert second.content == first.content
    home = client.get("/")
    assert {"list:home", "site", f"article:{journal['new'].pk}"} <= set(
        home["Cache-Tag"].split(",")
    )


def test_correcting_a_reference_cools_only_the_pages_that_show_the_article(client, journal):
    urls = pages(journal)
    warm(client, *urls.values())
    old = journal["old"]
    showing = {url for url in urls.values() if "Old review" in client.get(url).text}
    assert len(showing) < len(urls)
    reference = Reference.objects.get(article=old)
    reference.citation = "A. Old ref, corrected. 2019."
    reference.save()
    # The article's page, and the lists showing its item (its issue, topic, author, home).
    assert cold(client, *urls.values()) == showing
    assert "corrected" in client.get(urls["old article"]).text


def test_renaming_an_author_cools_the_pages_that_print_their_name(client, journal):
    urls = pages(journal)
    warm(client, *urls.values())
    ann = journal["ann"]
    ann.family_name = "Annadottir"
    ann.save()
    went_cold = cold(client, *urls.values())
    assert urls["old article"] in went_cold and urls["ann"] in went_cold
    assert urls["lymphoma"] in went_cold  # its list item prints the byline
    assert urls["new article"] in went_cold  # its related items list the old article
    assert not went_cold & {urls["bob"], urls["breast"], urls["issues"], urls["topics"]}
    assert "Annadottir" in client.get(urls["lymphoma"]).text


def test_a_related_list_follows_the_articles_it_lists(client, journal):
    new_url = journal["new"].get_absolute_url()
    assert "Old review" in client.get(new_url).text
    old = journal["old"]
    old.title = "Old review, retitled"
    old.save()
    response = client.get(new_url)
    assert response["X-Cache"] == "MISS" and "Old review, retitled" in response.text


def test_publishing_cools_the_lists_it_joins_and_not_the_other_articles(client, journal):
    urls = pages(journal)
    warm(client, *urls.values())
    make_article(title="Fresh", topics=[journal["lymphoma"]], section=journal["reviews"])
    went_cold = cold(client, *urls.values())
    assert {urls["home"], urls["lymphoma"], urls["topics"]} <= went_cold
    assert urls["breast"] not in went_cold and urls["bob"] not in went_cold
    assert "Fresh" in client.get(urls["lymphoma"]).text


def test_what_every_page_shows_cools_every_page(client, journal):
    urls = pages(journal)
    warm(client, *urls.values())
    primary = make_journal()
    primary.copyright_line = "© New Owner"
    primary.save()
    assert cold(client, *urls.values()) == set(urls.values())


def test_with_tags_off_every_change_cools_every_page(client, journal, settings):
    settings.PAGE_CACHE_TAGS = False
    urls = pages(journal)
    warm(client, *urls.values())
    reference = Reference.objects.get(article=journal["old"])
    reference.citation = "Changed."
    reference.save()
    assert cold(client, *urls.values()) == set(urls.values())


def test_a_draft_edit_cools_nothing(client, journal):
    urls = pages(journal)
    warm(client, *urls.values())
    draft = make_article(title="Draft", status=Article.Status.DRAFT, topics=[journal["lymphoma"]])
    Reference.objects.create(article=draft, position=1, citation="Draft ref.")
    assert cold(client, *urls.values()) == set()


def test_another_process_sees_the_invalidation(client, journal):
    """Each process keeps pages of its own; an edit elsewhere reaches them too."""
    url = journal["old"].get_absolute_url()
    other = pagecache.PageCacheMiddleware(lambda request: pytest.fail("not a hit"))
    pagecache._kept_here.discard(other.local)  # in another process: hears of edits by Redis
    client.get(url)
    request = Client().get(url).wsgi_request  # a request object like the reader's
    assert other(request)["X-Cache"] == "HIT"  # from the shared cache, now kept by it
    assert other.local.get(pagecache._page_key(request)) is not None
    Article.objects.filter(pk=journal["old"].pk).update(title="Raw")  # no signal
    pagecache.invalidate([f"article:{journal['old'].pk}"])  # as another server's edit
    rendered = []
    other.get_response = lambda request: rendered.append(1) or client.get(url)
    other(request)
    assert rendered == [1]


# The CDN --------------------------------------------------------------------------------


class FakeResponse:
    status = 200

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_the_purge_names_the_tags(journal, settings, django_capture_on_commit_callbacks):
    settings.PAGE_CACHE_PURGE_URL = "https://api.cdn.example/purge"
    settings.PAGE_CACHE_PURGE_BATCH = 2
    reference = Reference.objects.get(article=journal["old"])
    pagecache._after_commit()  # the fixture's writes commit (the journal's: every page)
    with (
        mock.patch("urllib.request.urlopen", return_value=FakeResponse()) as urlopen,
        django_capture_on_commit_callbacks(execute=True),
    ):
        pagecache.invalidate(["article:99999", "topic:2", "list:home"])
        reference.save()
    bodies = [json.loads(call.args[0].data) for call in urlopen.call_args_list]
    assert all(len(body["tags"]) <= 2 for body in bodies)
    purged = [tag for body in bodies for tag in body["tags"]]
    assert sorted(purged) == sorted(
        {"article:99999", "topic:2", "list:home", f"article:{journal['old'].pk}"}
    )
    first = urlopen.call_args_list[0].args[0]
    assert first.get_header("Surrogate-key") == " ".join(bodies[0]["tags"])


def test_purge_everything_when_the_cdn_cannot_purge_by_tag(
    journal, settings, django_capture_on_commit_callbacks
):
    settings.PAGE_CACHE_PURGE_URL = "https://api.cdn.example/purge"
    settings.PAGE_CACHE_PURGE_EVERYTHING = True
    with (
        mock.patch("urllib.request.urlopen", return_value=FakeResponse()) as urlopen,
        django_capture_on_commit_callbacks(execute=True),
    ):
        pagecache.invalidate(["article:1"])
    assert [json.loads(c.args[0].data) for c in urlopen.call_args_list] == [
        {"purge_everything": True}
    ]


# Redis down -----------------------------------------------------------------------------


class Down(Exception):
    pass


class BrokenCache:
    """A cache whose every call raises, as a Redis client does when Redis is down."""

    def __getattr__(self, name):
        def broken(*args, **kwargs):
            raise Down(f"the cache is down ({name})")

        return broken


@pytest.fixture
def cache_down(monkeypatch):
    # The page cache's calls only: the cache backend itself is made to tolerate an outage
    # in the settings (jhop/settings.py).
    monkeypatch.setattr(pagecache, "cache", BrokenCache())


def test_with_the_cache_down_pages_render_uncached(client, journal, cache_down):
    url = journal["old"].get_absolute_url()
    for _ in range(2):
        response = client.get(url)
        assert response.status_code == 200 and "Old review" in response.text
        assert response["X-Cache"] == "MISS"
    assert client.get("/").status_code == 200
    assert client.get("/feeds/rss/").status_code == 200


def test_with_the_cache_down_an_edit_still_saves(client, journal, cache_down):
    reference = Reference.objects.get(article=journal["old"])
    reference.citation = "Saved while the cache is down."
    reference.save()
    assert "Saved while the cache is down." in client.get(journal["old"].get_absolute_url()).text


def test_a_broken_redis_subscription_falls_back_to_the_cache(client, journal, monkeypatch):
    class BrokenClient:
        def pubsub(self):
            raise Down("no subscription")

        def publish(self, *args):
            raise Down("no announcement")

    monkeypatch.setattr(pagecache, "redis_client", BrokenClient)
    url = journal["old"].get_absolute_url()
    assert client.get(url)["X-Cache"] == "MISS"
    assert client.get(url)["X-Cache"] == "HIT"
    reference = Reference.objects.get(article=journal["old"])
    reference.citation = "Corrected."
    reference.save()
    assert client.get(url)["X-Cache"] == "MISS"


@pytest.mark.django_db(transaction=True)
def test_an_edit_outside_a_transaction_cools_the_page_once(client, journal, settings):
    settings.PAGE_CACHE_PURGE_URL = "https://api.cdn.example/purge"
    url = journal["old"].get_absolute_url()
    warm(client, url)
    reference = Reference.objects.get(article=journal["old"])
    reference.citation = "Autocommitted."
    with mock.patch("urllib.request.urlopen", return_value=FakeResponse()) as urlopen:
        reference.save()
    assert urlopen.call_count == 1
    assert "Autocommitted." in client.get(url).text
