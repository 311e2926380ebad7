"""Stored topic and section counts: every write that changes them, and time, show at once."""

import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from articles.derived.counts import recount, sections_with_counts, topics_with_counts
from articles.models import Article, ArticleTopic, Author, Authorship, Issue, Section, Topic
from articles.services import publish, unpublish
from tests.factories import (
    make_article,
    make_author,
    make_issue,
    make_journal,
    make_section,
    make_topic,
)

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


# Every write path keeps the stored counts equal to a count from scratch -----------------


def stored() -> dict:
    return {
        model.__name__: {
            obj.pk: (obj.published_count, obj.articles_changed_at)
            for obj in model.objects.order_by("pk")
        }
        for model in (Topic, Section, Author)
    }


def assert_as_if_recounted():
    """The stored counts are what a count from scratch gives; each stored date is no
    earlier than the latest counted article's change (a withdrawal dates it later)."""
    kept = stored()
    recount()
    fresh = stored()
    for model, rows in fresh.items():
        for pk, (count, changed_at) in rows.items():
            kept_count, kept_at = kept[model][pk]
            assert kept_count == count, (model, pk)
            if changed_at is not None:
                assert kept_at is not None and kept_at >= changed_at, (model, pk)


def test_every_write_path_keeps_counts_exact(topic, admin_user, admin_client):
    from articles.services import merge_authors

    infections = make_topic("Infections")
    reports, reviews = make_section("Case Reports"), make_section("Reviews")
    ann, bo = make_author(family_name="Ann"), make_author(family_name="Bo")
    issue = make_issue()
    article = make_article(topics=[topic], authors=[ann], section=reports, issue=issue)
    other = make_article(topics=[topic, infections], authors=[ann, bo], status="draft")
    assert_as_if_recounted()
    steps = [
        lambda: publish(objects=Article.objects.filter(pk=other.pk), user=admin_user),
        lambda: unpublish(objects=Article.objects.filter(pk=article.pk), user=admin_user),
        lambda: publish(objects=Article.objects.filter(pk=article.pk), user=admin_user),
        lambda: article.topics.add(infections),
        lambda: article.topics.remove(topic),
        lambda: infections.articles.remove(other),
        lambda: topic.articles.add(other, article),
        lambda: article.topics.clear(),
        lambda: article.topics.set([topic, infections]),
        lambda: ArticleTopic.objects.filter(article=other, topic=topic).delete(),
        lambda: Authorship.objects.create(article=article, author=bo, position=2),
        lambda: merge_authors(keep=ann, duplicates=[bo], user=admin_user),
        lambda: unpublish(objects=Issue.objects.filter(pk=issue.pk), user=admin_user),
        lambda: Article.objects.get(pk=article.pk).save(),
        lambda: publish(objects=Issue.objects.filter(pk=issue.pk), user=admin_user),
        lambda: setattr(article, "section", reviews) or article.save(),
        lambda: setattr(article, "issue", None) or article.save(),
        lambda: other.delete(),
    ]
    for n, step in enumerate(steps):
        step()
        article.refresh_from_db()
        try:
            assert_as_if_recounted()
        except AssertionError as error:
            raise AssertionError(f"step {n}") from error


def test_an_editor_saving_a_stale_form_does_not_count_twice(topic, admin_user):
    article = make_article(topics=[topic], status=Article.Status.DRAFT)
    loaded_before = Article.objects.get(pk=article.pk)  # an editor opened the draft
    publish(objects=Article.objects.filter(pk=article.pk), user=admin_user)
    loaded_before.status = Article.Status.PUBLISHED  # and publishes it too, from the form
    loaded_before.save()
    assert topic_counts() == {"Breast Cancer": 1}
    assert_as_if_recounted()


def test_publishing_moves_the_counts_without_counting_the_archive(topic, admin_user):
    """Publishing adds one to the article's topics, authors and section: a few updates of
    their own rows, the same however many articles they have (no COUNT over them)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    section = make_section("Reviews")

    def count_updates() -> list[str]:
        article = make_article(
            topics=[topic], authors=[make_author()], section=section, status="draft"
        )
        with CaptureQueriesContext(connection) as queries:
            publish(objects=Article.objects.filter(pk=article.pk), user=admin_user)
        tables = ('"articles_topic"', '"articles_author"', '"articles_section"')
        return [
            q["sql"]
            for q in queries.captured_queries
            if q["sql"].startswith("UPDATE") and any(t in q["sql"].split(" SET")[0] for t in tables)
        ]

    small = count_updates()
    for _ in range(10):
        make_article(topics=[topic], authors=[make_author()], section=section)
    large = count_updates()
    assert len(large) == len(small) <= 6
    assert not any("COUNT(" in sql for sql in large)
    assert topic_counts() == {"Breast Cancer": 12}
    assert_as_if_recounted()


def test_recount_command_puts_right_counts_written_around_the_orm(topic):
    from io import StringIO

    from django.core.management import call_command

    make_article(topics=[topic])
    Topic.objects.filter(pk=topic.pk).update(published_count=7)  # a bulk edit in SQL
    out = StringIO()
    call_command("recount_articles", "--dry-run", stdout=out)
    assert "1 stored counts would change" in out.getvalue()
    assert Topic.objects.get(pk=topic.pk).published_count == 7
    call_command("recount_articles", stdout=out)
    assert "1 stored counts changed" in out.getvalue()
    assert topic_counts() == {"Breast Cancer": 1}
