"""Stored topic and section counts: every write that changes them, and time, show at once."""

import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from articles.counts import sections_with_counts, topics_with_counts
from articles.models import Article, ArticleTopic, Issue
from articles.services import publish, unpublish
from tests.factories import make_article, make_issue, make_journal, make_section, make_topic

pytestmark = pytest.mark.django_db


def topic_counts() -> dict[str, int]:
    return {t.name: t.num_articles for t in topics_with_counts()}


def section_counts() -> dict[str, int]:
    return {s.name: s.num_articles for s in sections_with_counts()}


@pytest.fixture
def topic():
    make_journal(doi_prefix="10.32013")  # what publishing needs (the publish gate)
    return make_topic("Breast Cancer")


def test_pages_show_the_counts(client, topic):
    make_article(topics=[topic], section=make_section("Case Reports"))
    cache.clear()
    assert '<a href="/topics/breast-cancer/">Breast Cancer</a> <span class="count">(1)</span>' in (
        client.get("/").text
    )
    index = client.get("/topics/").text
    assert 'Breast Cancer</a> <span class="count">1 article</span>' in index
    assert 'Case Reports</a> <span class="count">1 article</span>' in index


def test_publishing_and_unpublishing(topic, admin_user):
    make_journal()  # the publish gate needs the journal's ISSN for the JATS record
    article = make_article(topics=[topic], status=Article.Status.DRAFT)
    assert topic_counts() == {}
    publish(objects=Article.objects.filter(pk=article.pk), user=admin_user)
    assert topic_counts() == {"Breast Cancer": 1}
    unpublish(objects=Article.objects.filter(pk=article.pk), user=admin_user)
    assert topic_counts() == {}


def test_a_scheduled_article_counts_once_due_with_no_write(topic):
    make_article(topics=[topic])
    scheduled = make_article(topics=[topic], published_at=timezone.now() + timedelta(hours=1))
    assert topic_counts() == {"Breast Cancer": 1}
    Article.objects.filter(pk=scheduled.pk).update(published_at=timezone.now())
    assert topic_counts() == {"Breast Cancer": 2}


def test_re_topicking_moves_the_count(topic):
    other = make_topic("Infections")
    article = make_article(topics=[topic])
    article.topics.set([other])
    assert topic_counts() == {"Infections": 1}
    ArticleTopic.objects.create(article=article, topic=topic, position=2)
    assert topic_counts() == {"Infections": 1, "Breast Cancer": 1}
    article.topics.clear()
    assert topic_counts() == {}


def test_deleting_an_article(topic):
    article = make_article(topics=[topic], section=make_section("Case Reports"))
    make_article(topics=[topic])
    article.delete()
    assert topic_counts() == {"Breast Cancer": 1}
    assert section_counts() == {}


def test_moving_an_article_to_another_section(topic):
    article = make_article(section=make_section("Case Reports"))
    article.section = make_section("Reviews")
    article.save()
    assert section_counts() == {"Reviews": 1}


def test_an_issue_withdrawn_published_and_scheduled(topic, admin_user):
    issue = make_issue()
    make_article(topics=[topic], issue=issue, section=make_section("Case Reports"))
    assert topic_counts() == {"Breast Cancer": 1}
    unpublish(objects=Issue.objects.filter(pk=issue.pk), user=admin_user)
    assert topic_counts() == {} and section_counts() == {}
    publish(objects=Issue.objects.filter(pk=issue.pk), user=admin_user)
    assert topic_counts() == {"Breast Cancer": 1}
    issue.refresh_from_db()
    issue.published_at = timezone.now() + timedelta(days=1)
    issue.save()
    assert topic_counts() == {} and section_counts() == {}
    # An article moved out of it, into no issue, counts again.
    article = Article.objects.get(issue=issue)
    article.issue = None
    article.save()
    assert topic_counts() == {"Breast Cancer": 1}


def test_topic_pages_come_whole_and_in_order_from_either_end(
    client, topic, django_assert_max_num_queries
):
    now = timezone.now()
    for i in range(45):
        make_article(title=f"Item {i:02}", topics=[topic], published_at=now - timedelta(hours=i))
    make_article(title="Not yet", topics=[topic], published_at=now + timedelta(hours=1))
    shown = []
    for page in (1, 2, 3):
        cache.clear()
        html = client.get(f"/topics/breast-cancer/?page={page}").text
        shown += re.findall(r'class="item-title"><a href="[^"]*">([^<]*)</a>', html)
    # Newest first, every live one once; page 3 (past the middle) was read from the end.
    assert shown == [f"Item {i:02}" for i in range(45)]
    assert "Page 3 of 3" in html
    assert client.get("/topics/breast-cancer/?page=4").status_code == 404
