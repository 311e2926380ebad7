"""Stored related-items lists: ranked at write time, never stale on any page that shows them."""

import random
import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.utils import timezone

from articles.derived import related, writes
from articles.models import Article, ArticleTopic, Issue, RankedRelated, RelatedItem
from articles.services import publish, unpublish
from tests.factories import make_article, make_issue, make_journal, make_topic

pytestmark = pytest.mark.django_db

NOW = timezone.now()
RELATED_RE = re.compile(r'<section class="related".*?</section>', re.S)
TITLE_RE = re.compile(r'class="item-title"><a href="[^"]*">([^<]*)</a>')


def related_on_page(client, article) -> list[str]:
    """The titles the article's page shows under Related Items, in order."""
    response = client.get(article.get_absolute_url())
    assert response.status_code == 200
    section = RELATED_RE.search(response.text)
    return TITLE_RE.findall(section.group(0)) if section else []


def stored(article) -> list[int]:
    return list(
        RankedRelated.objects.filter(article=article)
        .order_by("position")
        .values_list("related_id", flat=True)
    )


@pytest.fixture
def archive():
    """An article about Breast Cancer among 20 newer articles with no topic in common."""
    make_journal()  # the publish gate needs the journal's ISSN for the JATS record
    topic, other = make_topic("Breast Cancer"), make_topic("Infections")
    article = make_article(
        title="The article", topics=[topic], published_at=NOW - timedelta(days=90)
    )
    fillers = [
        make_article(title=f"Filler {i}", topics=[other], published_at=NOW - timedelta(days=i + 1))
        for i in range(20)
    ]
    return {"article": article, "topic": topic, "other": other, "fillers": fillers}


def test_the_list_is_full_and_ranked_by_shared_topics_then_recency(client, archive):
    old_match = make_article(
        title="Old match", topics=[archive["topic"]], published_at=NOW - timedelta(days=300)
    )
    shown = related_on_page(client, archive["article"])
    assert shown[0] == "Old match"
    # Always ten: the newest articles fill what shared topics leave.
    assert shown[1:] == [f"Filler {i}" for i in range(9)]
    assert archive["article"].title not in shown
    assert old_match.pk in stored(archive["article"])


def test_publishing_an_article_adds_it_to_its_neighbours_pages(client, archive, admin_user):
    draft = make_article(
        title="Newly published",
        topics=[archive["topic"]],
        status=Article.Status.DRAFT,
        published_at=NOW - timedelta(days=200),
    )
    assert "Newly published" not in related_on_page(client, archive["article"])
    publish(objects=Article.objects.filter(pk=draft.pk), user=admin_user)
    assert related_on_page(client, archive["article"])[0] == "Newly published"


def test_unpublishing_an_article_removes_it_and_the_list_stays_full(client, archive, admin_user):
    match = make_article(title="Match", topics=[archive["topic"]])
    assert related_on_page(client, archive["article"])[0] == "Match"
    unpublish(objects=Article.objects.filter(pk=match.pk), user=admin_user)
    shown = related_on_page(client, archive["article"])
    assert "Match" not in shown and len(shown) == 10
    assert match.pk not in stored(archive["article"])


def test_a_withdrawn_article_never_shows_even_before_lists_are_refreshed(client, archive):
    match = make_article(title="Match", topics=[archive["topic"]])
    # A write the hub does not see (raw SQL, a suspended bulk load) leaves the stored
    # list as it was...
    with writes.suspended():
        Article.objects.filter(pk=match.pk).update(status=Article.Status.DRAFT)
    assert match.pk in stored(archive["article"])
    # ...but pages read it through the published() rule.
    shown = related_on_page(client, archive["article"])
    assert "Match" not in shown and len(shown) == 10


def test_a_scheduled_article_shows_once_it_is_due(client, archive):
    scheduled = make_article(
        title="Scheduled", topics=[archive["topic"]], published_at=NOW + timedelta(hours=1)
    )
    assert "Scheduled" not in related_on_page(client, archive["article"])
    # Time passes: no write happens when an article goes live (and the page cache
    # expires pages at the next go-live on its own).
    Article.objects.filter(pk=scheduled.pk).update(published_at=NOW - timedelta(minutes=1))
    cache.clear()
    assert related_on_page(client, archive["article"])[0] == "Scheduled"


def test_unpublishing_an_issue_hides_its_articles_and_publishing_shows_them(
    client, archive, admin_user
):
    issue = make_issue()
    make_article(title="In the issue", topics=[archive["topic"]], issue=issue)
    assert related_on_page(client, archive["article"])[0] == "In the issue"
    unpublish(objects=Issue.objects.filter(pk=issue.pk), user=admin_user)
    assert "In the issue" not in related_on_page(client, archive["article"])
    publish(objects=Issue.objects.filter(pk=issue.pk), user=admin_user)
    assert related_on_page(client, archive["article"])[0] == "In the issue"


def test_re_dating_an_article_reorders_the_lists_it_is_in(client, archive):
    older = make_article(
        title="Older", topics=[archive["topic"]], published_at=NOW - timedelta(days=50)
    )
    make_article(title="Newer", topics=[archive["topic"]], published_at=NOW - timedelta(days=40))
    assert related_on_page(client, archive["article"])[:2] == ["Newer", "Older"]
    older.published_at = NOW - timedelta(days=30)
    older.save()
    assert related_on_page(client, archive["article"])[:2] == ["Older", "Newer"]


def test_adding_a_topic_brings_an_article_in(client, archive):
    old = make_article(
        title="Old", topics=[archive["other"]], published_at=NOW - timedelta(days=400)
    )
    assert "Old" not in related_on_page(client, archive["article"])
    ArticleTopic.objects.create(article=old, topic=archive["topic"], position=2)
    assert related_on_page(client, archive["article"])[0] == "Old"


@pytest.mark.parametrize("how", ["delete-row", "set", "remove", "clear", "from-the-topic"])
def test_re_topicking_an_article_takes_it_out(client, archive, how):
    topic = archive["topic"]
    match = make_article(title="Match", topics=[topic], published_at=NOW - timedelta(days=400))
    assert related_on_page(client, archive["article"])[0] == "Match"
    if how == "delete-row":
        ArticleTopic.objects.filter(article=match).delete()
    elif how == "set":
        match.topics.set([make_topic("Elsewhere")])
    elif how == "remove":
        match.topics.remove(topic)
    elif how == "clear":
        match.topics.clear()
    else:
        topic.articles.remove(match)
    assert "Match" not in related_on_page(client, archive["article"])


def test_re_topicking_the_article_itself_re_ranks_its_own_list(client, archive):
    archive["article"].topics.set([archive["other"]])
    shown = related_on_page(client, archive["article"])
    assert shown == [f"Filler {i}" for i in range(10)]


def test_deleting_an_article_takes_it_off_every_page_and_refills(client, archive):
    match = make_article(title="Match", topics=[archive["topic"]])
    other_page = make_article(title="Other page", topics=[archive["topic"]])
    assert "Match" in related_on_page(client, other_page)
    match.delete()
    for page in (archive["article"], other_page):
        shown = related_on_page(client, page)
        assert "Match" not in shown and len(shown) == 10


def test_deleting_many_articles_at_once(client, archive):
    make_article(title="Match", topics=[archive["topic"]])
    Article.objects.filter(title__startswith="Filler 1").delete()
    shown = related_on_page(client, archive["article"])
    assert shown[0] == "Match" and len(shown) == 10
    assert not any(title.startswith("Filler 1") for title in shown)


def test_picks_come_first_and_follow_edits(client, archive):
    pick = archive["fillers"][-1]
    link = RelatedItem.objects.create(article=archive["article"], related=pick, position=1)
    assert related_on_page(client, archive["article"])[0] == pick.title
    link.delete()
    assert related_on_page(client, archive["article"])[0] == "Filler 0"


def test_a_picked_draft_shows_once_published(client, archive, admin_user):
    draft = make_article(title="Picked draft", status=Article.Status.DRAFT)
    RelatedItem.objects.create(article=archive["article"], related=draft, position=1)
    assert "Picked draft" not in related_on_page(client, archive["article"])
    publish(objects=Article.objects.filter(pk=draft.pk), user=admin_user)
    assert related_on_page(client, archive["article"])[0] == "Picked draft"


def test_many_lists_are_refreshed_after_commit_by_the_task(
    client, archive, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(related, "SYNC_LIMIT", 3)
    topic = archive["other"]
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        make_article(title="Brand new", topics=[topic])
        make_article(title="Brand new 2", topics=[topic])
    # One task for the whole transaction.
    assert [c for c in callbacks if c is related._flush] == [related._flush]
    for filler in archive["fillers"]:
        assert related_on_page(client, filler)[:2] == ["Brand new 2", "Brand new"]


def test_ranking_in_memory_agrees_with_ranking_in_the_database(django_capture_on_commit_callbacks):
    rng = random.Random(3)
    topics = [make_topic() for _ in range(6)]
    # Large enough that some changes reach too many lists to refresh at once.
    with django_capture_on_commit_callbacks(execute=True):
        articles = [
            make_article(
                topics=rng.sample(topics, rng.randint(0, 5)),
                status=rng.choice([Article.Status.PUBLISHED] * 4 + [Article.Status.DRAFT]),
                published_at=NOW - timedelta(hours=rng.randint(0, 30)),
            )
            for _ in range(60)
        ]
        for article in articles[:10]:
            for position, pick in enumerate(rng.sample(articles, 3)):
                if pick != article:
                    RelatedItem.objects.create(article=article, related=pick, position=position)
    ids = [a.pk for a in articles]
    in_database = related.rank_few(ids)
    assert related.rank_many(ids) == in_database
    # One by one, as many as together.
    assert all(related.rank_few([pk]) == {pk: in_database[pk]} for pk in ids[::7])
    # And what is stored is what either computes.
    stale = [a.pk for a in articles if stored(a) != [e[0] for e in in_database[a.pk]]]
    assert stale == []


def test_rank_related_command_rebuilds_lists_after_a_bulk_import(client, archive):
    RankedRelated.objects.all().delete()
    out = StringIO()
    call_command("rank_related", stdout=out)
    assert "21 related-items lists updated" in out.getvalue()
    assert related_on_page(client, archive["article"]) == [f"Filler {i}" for i in range(10)]
    pk = archive["article"].pk
    assert stored(archive["article"]) == [e[0] for e in related.rank_few([pk])[pk]]
