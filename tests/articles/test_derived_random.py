"""Proof by random editing: sequences of edits through every path a write can take (model
saves, admin forms and actions, services, reversion restores, raw QuerySet update and
bulk_create, deletes), and after each step every derived copy equals its fresh
computation (the verifier check_derived runs).

The normal suite runs a fixed, derandomized set of examples. A longer run:

    HYPOTHESIS_EXAMPLES=500 HYPOTHESIS_STEPS=60 .venv/bin/python -m pytest \
        tests/articles/test_derived_random.py
"""

import os

import reversion
from django.contrib.auth.models import User
from django.db import transaction
from django.test import Client, TestCase
from django.urls import reverse
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from reversion.models import Version

from articles import services
from articles.derived import verify
from articles.models import (
    Article,
    ArticleTopic,
    Author,
    Authorship,
    Issue,
    RelatedItem,
    Section,
    Topic,
)
from tests.factories import make_article, make_author, make_issue, make_section, make_topic

STATES = [Article.Status.DRAFT, Article.Status.PUBLISHED]
NAMES = st.sampled_from(["Barbor", "Ignoffo", "Smith", "Nguyen", "O'Brien", "Ødegaard"])
pick = st.integers(min_value=0, max_value=1000)


def _one(model, n: int):
    rows = list(model.objects.order_by("pk").values_list("pk", flat=True))
    return model.objects.get(pk=rows[n % len(rows)]) if rows else None


class RandomEdits(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        # Each example starts from an empty archive: its writes are rolled back after it.
        self.example = transaction.atomic()
        self.example.__enter__()

    def teardown(self):
        transaction.set_rollback(True)
        self.example.__exit__(None, None, None)

    @initialize()
    def archive(self):
        self.client = Client()
        self.client.force_login(User.objects.create_superuser("editor", "e@example.org", "x"))
        self.issues = [make_issue(), make_issue(status=Issue.Status.DRAFT)]
        sections = [make_section("Original Article"), make_section("Case Reports")]
        topics = [make_topic("Breast Cancer"), make_topic("Anemia"), make_topic("Infections")]
        authors = [make_author(family_name=name) for name in ("Barbor", "Ignoffo", "Lee")]
        for n in range(5):
            with reversion.create_revision():
                make_article(
                    issue=self.issues[n % 2] if n < 4 else None,
                    section=sections[n % 2],
                    topics=topics[n % 3 : n % 3 + 2],
                    authors=authors[n % 3 : n % 3 + 2],
                    status=STATES[n % 3 != 0],
                )

    @invariant()
    def every_copy_equals_its_fresh_computation(self):
        assert verify.drifts() == []

    # Names ----------------------------------------------------------------------------
    @rule(n=pick, name=NAMES, raw=st.booleans())
    def rename_author(self, n, name, raw):
        author = _one(Author, n)
        if raw:
            Author.objects.filter(pk=author.pk).update(family_name=name)
        else:
            author.family_name = name
            author.save()

    @rule(n=pick, affiliation=st.sampled_from(["", "Dana-Farber", "MD Anderson"]))
    def edit_author_in_the_admin(self, n, affiliation):
        author = _one(Author, n)
        url = reverse("admin:articles_author_change", args=[author.pk])
        data = {
            "given_name": author.given_name,
            "family_name": author.family_name + "e",
            "credentials": "PharmD",
            "slug": author.slug,
            "affiliation": affiliation,
            "orcid": "",
            "bio": "",
            "photo_alt": "",
        }
        assert self.client.post(url, data).status_code == 302

    @rule(n=pick, name=st.sampled_from(["Anemia", "Hematology", "Lymphoma", "Myeloma"]))
    def rename_topic(self, n, name):
        topic = _one(Topic, n)
        if not Topic.objects.filter(name=name).exists():
            Topic.objects.filter(pk=topic.pk).update(name=name)

    @rule(n=pick)
    def rename_topic_in_the_admin(self, n):
        topic = _one(Topic, n)
        url = reverse("admin:articles_topic_change", args=[topic.pk])
        data = {"name": topic.name + " X", "slug": topic.slug, "description": ""}
        if Topic.objects.filter(name=data["name"]).exists():
            return  # names are unique: the form would (rightly) refuse it
        assert self.client.post(url, data).status_code == 302

    @rule(n=pick)
    def rename_section(self, n):
        section = _one(Section, n)
        section.name += " I"
        section.save()

    # Links ----------------------------------------------------------------------------
    @rule(a=pick, b=pick, bulk=st.booleans())
    def link_author(self, a, b, bulk):
        article, author = _one(Article, a), _one(Author, b)
        if article is None or article.authors.filter(pk=author.pk).exists():
            return
        if bulk:
            Authorship.objects.bulk_create([Authorship(article=article, author=author)])
        else:
            Authorship.objects.create(article=article, author=author, position=9)

    @rule(a=pick, b=pick, way=st.sampled_from(["add", "remove", "set"]))
    def change_topics(self, a, b, way):
        article, topic = _one(Article, a), _one(Topic, b)
        if article is None:
            return
        if way == "set":
            article.topics.set([topic])
        else:
            getattr(article.topics, way)(topic)

    @rule(n=pick, position=st.integers(min_value=0, max_value=5))
    def move_links_raw(self, n, position):
        Authorship.objects.filter(pk__in=[_one(Authorship, n).pk]).update(position=position)
        link = _one(ArticleTopic, n)
        if link:
            ArticleTopic.objects.filter(pk=link.pk).update(position=position)

    @rule(n=pick)
    def unlink_author(self, n):
        link = _one(Authorship, n)
        if link:
            link.delete()

    @rule(a=pick, b=pick)
    def pick_related(self, a, b):
        article, related = _one(Article, a), _one(Article, b)
        if article and related and article != related:
            RelatedItem.objects.get_or_create(article=article, related=related)

    # Articles and issues --------------------------------------------------------------
    @rule(n=pick, status=st.sampled_from(STATES), path=st.sampled_from(["save", "raw", "admin"]))
    def publish_or_withdraw(self, n, status, path):
        article = _one(Article, n)
        if article is None:
            return
        if path == "save":
            article.status = status
            article.save()
        elif path == "raw":
            Article.objects.filter(pk=article.pk).update(status=status)
        else:
            action = "publish" if status == Article.Status.PUBLISHED else "unpublish"
            url = reverse("admin:articles_article_changelist")
            data = {"action": action, "_selected_action": [article.pk]}
            assert self.client.post(url, data).status_code == 302

    @rule(n=pick, status=st.sampled_from(STATES), raw=st.booleans())
    def issue_state(self, n, status, raw):
        issue = _one(Issue, n)
        if raw:
            Issue.objects.filter(pk=issue.pk).update(status=status)
        elif status == Article.Status.PUBLISHED:
            services.publish(objects=Issue.objects.filter(pk=issue.pk), user=None)
        else:
            services.unpublish(objects=Issue.objects.filter(pk=issue.pk), user=None)

    @rule(a=pick, s=pick, raw=st.booleans())
    def move_article(self, a, s, raw):
        article, section = _one(Article, a), _one(Section, s)
        if article is None:
            return
        if raw:
            Article.objects.filter(pk=article.pk).update(section=section, body="<p>[1]</p>")
        else:
            article.section = section
            article.issue = self.issues[a % 2]
            article.save()

    @rule(n=pick)
    def new_article(self, n):
        make_article(authors=[_one(Author, n)], topics=[_one(Topic, n)])

    @rule(n=pick)
    def bulk_create_article(self, n):
        Article.objects.bulk_create(
            [
                Article(
                    title=f"Bulk {n}",
                    slug=f"bulk-{n}-{Article.objects.count()}",
                    status="published",
                    published_at=Article.objects.first().published_at,
                    section=_one(Section, n),
                )
            ]
        )

    @precondition(lambda self: Article.objects.count() > 2)
    @rule(n=pick)
    def delete_article(self, n):
        _one(Article, n).delete()

    @precondition(lambda self: Topic.objects.count() > 1)
    @rule(n=pick)
    def delete_topic(self, n):
        _one(Topic, n).delete()

    @rule(n=pick)
    def restore_a_version(self, n):
        versions = list(Version.objects.get_for_model(Article).order_by("pk"))
        if versions:
            version = versions[n % len(versions)]
            if Article.objects.filter(pk=version.object_id).exists():
                version.revision.revert(delete=False)


RandomEdits.TestCase.settings = settings(
    max_examples=int(os.environ.get("HYPOTHESIS_EXAMPLES", 8)),
    stateful_step_count=int(os.environ.get("HYPOTHESIS_STEPS", 10)),
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


class TestRandomEdits(TestCase, RandomEdits.TestCase):
    # Django's TestCase.settings (a method) would hide the machine's settings.
    settings = RandomEdits.TestCase.settings
