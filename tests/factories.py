"""Plain factory functions for tests: each makes one valid object, overridable by keyword."""

import itertools
from datetime import date, timedelta

from django.utils import timezone
from django.utils.text import slugify

from articles.models import Article, Author, Authorship, Issue, Journal, Reference, Section, Topic

_seq = itertools.count(1)


def make_journal(**kw) -> Journal:
    journal = Journal.objects.filter(is_primary=True).first()
    if journal and not kw:
        return journal
    defaults = {
        "name": "Journal of Hematology Oncology Pharmacy",
        "short_name": "JHOP",
        "abbreviation": "J Hematol Oncol Pharm",
        "slug": f"jhop-{next(_seq)}" if journal else "jhop",
        "publisher": "Amplity Health",
        "copyright_line": "© Amplity Health. All rights reserved.",
        "licence_url": "https://creativecommons.org/licenses/by-nc-nd/4.0/",
        "licence_name": "Creative Commons Attribution-NonCommercial-NoDerivatives 4.0 "
        "International",
        "copyright_statement": "© {year} {holder}. All rights reserved.",
        "issn_print": "2164-1153",
        "issn_online": "2164-1161",
        "is_primary": journal is None,
    }
    return Journal.objects.create(**{**defaults, **kw})


def make_issue(**kw) -> Issue:
    n = next(_seq)
    defaults = {
        "journal": kw.pop("journal", None) or make_journal(),
        "volume": 12,
        "number": n,
        "cover_date": date(2022, 6, 1),
        "slug": f"issue-{n}",
        "status": Issue.Status.PUBLISHED,
        "published_at": timezone.now() - timedelta(days=30),
    }
    return Issue.objects.create(**{**defaults, **kw})


def make_section(name: str | None = None, **kw) -> Section:
    name = name or f"Section {next(_seq)}"
    return Section.objects.get_or_create(name=name, defaults={"slug": slugify(name), **kw})[0]


def make_topic(name: str | None = None, **kw) -> Topic:
    name = name or f"Topic {next(_seq)}"
    return Topic.objects.get_or_create(name=name, defaults={"slug": slugify(name), **kw})[0]


def make_author(**kw) -> Author:
    n = next(_seq)
    defaults = {
        "given_name": "Robert J.",
        "family_name": f"Ignoffo{n}",
        "credentials": "PharmD, FASHP",
        "slug": f"author-{n}",
    }
    return Author.objects.create(**{**defaults, **kw})


def make_article(*, authors=(), topics=(), references=(), **kw) -> Article:
    """An article published a day ago, with the given authors, topics and citation texts."""
    n = next(_seq)
    defaults = {
        "title": f"Article {n}",
        "slug": f"article-{n}",
        "status": Article.Status.PUBLISHED,
        "published_at": timezone.now() - timedelta(days=1),
        "body": "<p>Body text.</p>",
    }
    article = Article.objects.create(**{**defaults, **kw})
    for position, author in enumerate(authors, start=1):
        Authorship.objects.create(article=article, author=author, position=position)
    article.topics.set(topics)
    for position, citation in enumerate(references, start=1):
        Reference.objects.create(article=article, position=position, citation=citation)
    return article
