"""What public pages read once per content version or per process, never stale: the
primary journal, the next go-live time, and the paths of slug-addressed pages."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse, set_script_prefix

from articles.paths import slug_path
from tests.factories import make_article, make_author, make_issue, make_journal, make_topic

pytestmark = pytest.mark.django_db


def queries_for(client, url) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return [q["sql"] for q in captured.captured_queries]


def test_the_journal_is_read_once_per_content_version_and_an_edit_shows_at_once(client, settings):
    settings.CACHE_MIDDLEWARE_SECONDS = 0  # the page cache off: every request renders
    journal = make_journal(copyright_line="© Old Owner")
    client.get("/")
    assert not [q for q in queries_for(client, "/") if 'FROM "articles_journal"' in q]
    journal.copyright_line = "© New Owner"
    journal.save()
    assert "© New Owner" in client.get("/").text
    assert "© New Owner" in client.get("/topics/").text


def test_with_the_page_cache_off_nothing_is_looked_up_or_stored(client, settings):
    settings.CACHE_MIDDLEWARE_SECONDS = 0
    make_journal()
    issue = make_issue()
    make_article(title="Listed", issue=issue)
    client.get(issue.get_absolute_url())
    response = client.get(issue.get_absolute_url())
    assert "Listed" in response.text
    assert "no-cache" in response["Cache-Control"]
    # The next go-live is known for this version: no query for it on later renders.
    assert not [q for q in queries_for(client, issue.get_absolute_url()) if "UNION" in q]


def test_a_scheduled_article_goes_live_on_its_time_with_the_page_cache_off(
    client, settings, monkeypatch
):
    from datetime import timedelta

    from django.utils import timezone

    from articles.derived import pagecache

    settings.CACHE_MIDDLEWARE_SECONDS = 0
    make_journal()
    topic = make_topic("Lymphoma")
    make_article(title="Out Already", topics=[topic])
    soon = timezone.now() + timedelta(seconds=60)
    make_article(title="Goes Live Soon", topics=[topic], published_at=soon)
    page = client.get(topic.get_absolute_url()).text
    assert "Out Already" in page and "Goes Live Soon" not in page
    later = soon + timedelta(seconds=1)
    monkeypatch.setattr(pagecache.time, "time", later.timestamp)
    monkeypatch.setattr(timezone, "now", lambda: later)
    page = client.get(topic.get_absolute_url()).text
    assert "Goes Live Soon" in page
    assert "2 articles" in client.get("/topics/").text


@pytest.mark.parametrize(
    "name, make",
    [
        ("articles:article-detail", lambda: make_article(slug="a-slug_1")),
        ("articles:issue-detail", make_issue),
        ("articles:topic-detail", lambda: make_topic("Breast Cancer")),
        ("articles:author-detail", make_author),
    ],
)
def test_slug_paths_are_the_reversed_urls(name, make):
    obj = make()
    assert obj.get_absolute_url() == reverse(name, kwargs={"slug": obj.slug})
    set_script_prefix("/journal/")
    try:
        assert obj.get_absolute_url() == reverse(name, kwargs={"slug": obj.slug})
        assert obj.get_absolute_url().startswith("/journal/")
    finally:
        set_script_prefix("/")


def test_a_slug_reverse_would_refuse_is_refused_alike():
    from django.urls import NoReverseMatch

    with pytest.raises(NoReverseMatch):
        slug_path("articles:article-detail", "not a slug")


def test_an_author_without_published_work_has_no_page(client):
    author = make_author()
    make_article(authors=[author], status="draft")
    assert client.get(author.get_absolute_url()).status_code == 404
    make_article(authors=[author])
    assert client.get(author.get_absolute_url()).status_code == 200
