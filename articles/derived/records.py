"""When each article's machine-readable record last changed (Article.record_modified_at).

An article's OAI-PMH, JATS, Crossref, JSON-LD, feed and sitemap records print more than
the article's own row: its authors and their affiliations, its topics, section, issue,
journal and references. A harvester asking for what changed since a date (OAI-PMH
`from`) must get every record whose printed content changed, so the record's date is
stored on the article and moved, by the hub, for exactly the articles whose record
shows the changed row. It moves to the time of the write; it is never computed back
from the rows (a deleted reference leaves none), so the verifier checks that it is no
older than any row it shows that carries a date of its own (the article, its issue and
journal, section, topics and authors: their updated_at).
"""

from collections.abc import Iterable
from datetime import UTC, datetime

from django.db.models import DateTimeField, Max, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from articles.models import (
    Article,
    ArticleTopic,
    Author,
    Authorship,
    Issue,
    Journal,
    Reference,
    RelatedItem,
    Section,
    Topic,
)


def showing(model, pks: Iterable[int]):
    """The articles whose record shows one of these rows of model (a queryset of pks)."""
    pks = list(pks)
    if model is Article:
        return Article.objects.filter(pk__in=pks)
    if model is Author:
        return Article.objects.filter(authorships__author_id__in=pks)
    if model is Topic:
        return Article.objects.filter(article_topics__topic_id__in=pks)
    if model is Section:
        return Article.objects.filter(section_id__in=pks)
    if model is Issue:
        return Article.objects.filter(issue_id__in=pks)
    if model is Journal:
        # Web-only articles are the primary journal's (articles.scholarly.doi.journal_of).
        return Article.objects.filter(Q(issue__journal_id__in=pks) | Q(issue__isnull=True))
    if model in (Authorship, ArticleTopic, Reference):
        return Article.objects.filter(pk__in=model.objects.filter(pk__in=pks).values("article_id"))
    if model is RelatedItem:
        return Article.objects.none()
    raise LookupError(f"No record shows {model.__name__}")


def record_date(article: Article):
    """The datestamp of a live article's record: its last change, or its going live (its
    own time or its issue's) if later: a record saved while scheduled appears, unchanged,
    when it goes live."""
    dates = [article.record_modified_at, article.published_at]
    if article.issue_id and article.issue.published_at:
        dates.append(article.issue.published_at)
    return max(filter(None, dates), default=None)


def record_date_expression():
    """record_date() in SQL, for annotations (OAI-PMH, sitemaps)."""
    return Greatest(
        "record_modified_at",
        Coalesce("published_at", "record_modified_at"),
        Coalesce("issue__published_at", "record_modified_at"),
    )


def touch(articles) -> int:
    """Date these articles' records now (a queryset or ids)."""
    if not hasattr(articles, "query"):
        articles = Article.objects.filter(pk__in=list(articles))
    ids = Article.objects.filter(pk__in=articles.values("pk"))
    return ids.update(record_modified_at=timezone.now())


def _latest(link_model, field: str):
    rows = (
        link_model.objects.filter(article_id=OuterRef("pk"))
        .order_by()
        .values("article_id")
        .annotate(at=Max(f"{field}__updated_at"))
        .values("at")
    )
    return Subquery(rows, output_field=DateTimeField())


def fresh_lower_bound():
    """The latest updated_at among the rows an article's record shows, as an annotation."""
    epoch = Value(datetime(1970, 1, 1, tzinfo=UTC))
    parts = [
        "updated_at",
        Coalesce("issue__updated_at", epoch),
        Coalesce("issue__journal__updated_at", epoch),
        Coalesce("section__updated_at", epoch),
        Coalesce(_latest(Authorship, "author"), epoch),
        Coalesce(_latest(ArticleTopic, "topic"), epoch),
    ]
    return Greatest(*parts, output_field=DateTimeField())
