"""Races on PostgreSQL, in two real connections: a rename and a link, a publish and a
link, each in both orders, end with every copy equal to its fresh computation (SQLite
lets one writer in at a time, so there is no race to run there)."""

import threading
import time

import pytest
from django.db import connection, transaction

from articles.derived import verify
from articles.models import Article, ArticleTopic, Author, Authorship, Topic
from tests.factories import make_article, make_author, make_topic

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="SQLite serializes writers: no race"
    ),
]


def race(first, second) -> None:
    """Run first in a transaction kept open until second, in another connection, has
    started its own write; then commit both."""
    written, second_started = threading.Event(), threading.Event()
    errors = []

    def run_first():
        try:
            with transaction.atomic():
                first()
                written.set()
                second_started.wait(5)
                time.sleep(0.5)  # the second writer reaches its lock (or its stale read)
        except Exception as error:
            errors.append(error)
        finally:
            written.set()
            connection.close()

    def run_second():
        try:
            written.wait(5)
            with transaction.atomic():
                second_started.set()
                second()
        except Exception as error:
            errors.append(error)
        finally:
            second_started.set()
            connection.close()

    threads = [threading.Thread(target=run_first), threading.Thread(target=run_second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []


@pytest.fixture
def world():
    author = make_author(given_name="Meg", family_name="Barbor", credentials="MPH")
    topic = make_topic("Breast Cancer")
    live = make_article(title="Live", authors=[author], topics=[topic])
    draft = make_article(title="Draft", status=Article.Status.DRAFT)
    return {"author": author.pk, "topic": topic.pk, "live": live.pk, "draft": draft.pk}


def rename_author(world):
    def edit():
        author = Author.objects.get(pk=world["author"])
        author.family_name = "Smith"
        author.save()

    return edit


def rename_topic(world):
    def edit():
        topic = Topic.objects.get(pk=world["topic"])
        topic.name = "Anemia"
        topic.save()

    return edit


def link_author(world):
    return lambda: Authorship.objects.create(
        article_id=world["draft"], author_id=world["author"], position=1
    )


def link_topic(world):
    return lambda: Article.objects.get(pk=world["draft"]).topics.add(world["topic"])


def publish(world):
    def edit():
        draft = Article.objects.get(pk=world["draft"])
        draft.status = Article.Status.PUBLISHED
        draft.save()

    return edit


@pytest.mark.parametrize(
    ("one", "other"),
    [
        (rename_author, link_author),
        (rename_topic, link_topic),
        (publish, link_topic),
        (publish, link_author),
    ],
)
@pytest.mark.parametrize("rename_first", [True, False])
def test_two_writers_racing_leave_no_drift(world, one, other, rename_first):
    edits = (one(world), other(world))
    race(*(edits if rename_first else edits[::-1]))
    assert verify.drifts() == []
    draft = Article.objects.get(pk=world["draft"])
    if one is rename_author:
        assert draft.byline == "Meg Smith, MPH"
    if one is rename_topic:
        assert draft.topics_line == "Anemia"
    if one is publish:
        assert ArticleTopic.objects.filter(article=draft).exists() or draft.authorships.exists()
