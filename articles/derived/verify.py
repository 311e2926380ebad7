"""The verifier: every declared copy recomputed from its source rows and compared with
what is stored (manage.py check_derived; the daily task check_derived).

Each check is set-based: it reads the stored copies and their sources a chunk of
articles (or all topics, sections and authors) at a time, never a query per row, and
repairs only the rows that differ.
"""

import logging
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import F, Max, Min
from django_tasks import task

from articles.derived import cards, counts, records, related
from articles.models import Article, Author, Section, Topic

logger = logging.getLogger(__name__)

CHUNK = 2000
SEARCH_WORKERS = 4


@dataclass(frozen=True)
class Drift:
    """One stored value that differs from its fresh computation."""

    copy: str
    row: int
    stored: object
    fresh: object

    def __str__(self) -> str:
        return f"{self.copy} of row {self.row}: stored {self.stored!r}, fresh {self.fresh!r}"


def _article_chunks(*fields) -> Iterator[list[tuple]]:
    last = 0
    while True:
        rows = list(
            Article.objects.filter(pk__gt=last).order_by("pk").values_list("pk", *fields)[:CHUNK]
        )
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def _chunks_of(ids: list[int], *fields) -> Iterator[list[tuple]]:
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        yield list(Article.objects.filter(pk__in=chunk).order_by("pk").values_list("pk", *fields))


def check_cards(*, repair: bool) -> Iterator[Drift]:
    """Article.byline, topics_line, authors_data, topics_data against the links (on
    PostgreSQL, only the articles a set-based comparison finds different)."""
    candidates = cards.differing()
    chunks = (
        _article_chunks(*cards.STORED)
        if candidates is None
        else _chunks_of(candidates, *cards.STORED)
    )
    for rows in chunks:
        wanted = cards.stored_values(row[0] for row in rows)
        stale = []
        for pk, *stored in rows:
            fresh = wanted[pk]
            if tuple(stored) == fresh:
                continue
            for name, now, then in zip(cards.STORED, stored, fresh, strict=True):
                if now != then:
                    yield Drift(f"Article.{name}", pk, now, then)
            stale.append(Article(pk=pk, **dict(zip(cards.STORED, fresh, strict=True))))
        if repair and stale:
            Article.objects.bulk_update(stale, list(cards.STORED), batch_size=500)


def check_body_html(*, repair: bool) -> Iterator[Drift]:
    """Article.body_html against the body rendered now."""
    for rows in _article_chunks("body", "body_html"):
        stale = []
        for pk, body, stored in rows:
            fresh = Article(body=body).render_body()
            if stored != fresh:
                yield Drift("Article.body_html", pk, _short(stored), _short(fresh))
                stale.append(Article(pk=pk, body_html=fresh))
        if repair and stale:
            Article.objects.bulk_update(stale, ["body_html"], batch_size=500)


def _short(text: str) -> str:
    return text if len(text) <= 80 else text[:77] + "..."


def check_counts(*, repair: bool) -> Iterator[Drift]:
    """published_count of topics, sections and authors (equal to a count from scratch) and
    articles_changed_at (no earlier than the latest change of their counted articles: a
    withdrawal moves it to the time it happened, which no row keeps)."""
    for model, group in ((Topic, "topic"), (Author, "author"), (Section, "section")):
        fresh = counts.fresh_counts(model)
        stale = set()
        for pk, count, changed_at in model.objects.values_list(
            "pk", "published_count", "articles_changed_at"
        ):
            want_count, want_at = fresh.get(pk, (0, None))
            if count != want_count:
                yield Drift(f"{model.__name__}.published_count", pk, count, want_count)
                stale.add(pk)
            if want_at is not None and (changed_at is None or changed_at < want_at):
                yield Drift(f"{model.__name__}.articles_changed_at", pk, changed_at, want_at)
                stale.add(pk)
        if repair and stale:
            with transaction.atomic():
                counts.recount(
                    **{"topic_ids": (), "section_ids": (), "author_ids": (), f"{group}_ids": stale}
                )


def check_related(*, repair: bool) -> Iterator[Drift]:
    """Each article's stored related-items list against a ranking from scratch."""
    fresh = related.rank_many(None)
    stored = related.stored_lists(fresh)
    stale = {}
    for pk, entries in fresh.items():
        have = stored.get(pk, [])
        if have != entries:
            yield Drift("RankedRelated", pk, [e[0] for e in have], [e[0] for e in entries])
            stale[pk] = entries
    if repair and stale:
        related.store(stale)


def check_records(*, repair: bool) -> Iterator[Drift]:
    """Article.record_modified_at: no earlier than any dated row its record shows."""
    rows = (
        Article.objects.annotate(bound=records.fresh_lower_bound())
        .filter(record_modified_at__lt=F("bound"))
        .order_by("pk")
        .values_list("pk", "record_modified_at", "bound")
    )
    stale = []
    for pk, stored, bound in rows.iterator(chunk_size=CHUNK):
        yield Drift("Article.record_modified_at", pk, stored, bound)
        stale.append(Article(pk=pk, record_modified_at=bound))
    if repair and stale:
        Article.objects.bulk_update(stale, ["record_modified_at"], batch_size=500)


# What the triggers would write for each article (articles_search_document() and
# articles_search_topic_ids(), migrations 0019-0025), set-based: each author's and each
# topic's name is parsed once, not once per article that lists it, and the links are
# grouped in one pass instead of two subqueries per article.
SEARCH_DRIFT = """
WITH author_words AS MATERIALIZED (
  SELECT id, setweight(to_tsvector('english', given_name || ' ' || family_name), 'D') AS v
  FROM articles_author
), topic_words AS MATERIALIZED (
  SELECT id, name, setweight(to_tsvector('english', name), 'D') AS v FROM articles_topic
), names AS (
  SELECT s.article_id, array_agg(w.v ORDER BY s.position, s.id) AS v
  FROM articles_authorship s JOIN author_words w ON w.id = s.author_id
  WHERE s.article_id BETWEEN %(low)s AND %(high)s
  GROUP BY s.article_id
), topics AS (
  -- The ids from the links alone, as articles_search_topic_ids() reads them (a link whose
  -- topic is deleted in the same transaction, before the foreign key's deferred check,
  -- still counts there).
  SELECT at.article_id,
         array_agg(w.v ORDER BY w.name, w.id) FILTER (WHERE w.id IS NOT NULL) AS v,
         array_agg(at.topic_id ORDER BY at.topic_id) AS ids
  FROM articles_article_topics at LEFT JOIN topic_words w ON w.id = at.topic_id
  WHERE at.article_id BETWEEN %(low)s AND %(high)s
  GROUP BY at.article_id
)
SELECT a.id, (s.article_id IS NULL) AS missing
FROM articles_article a
LEFT JOIN articles_search s ON s.article_id = a.id
LEFT JOIN names ON names.article_id = a.id
LEFT JOIN topics ON topics.article_id = a.id
WHERE a.id BETWEEN %(low)s AND %(high)s AND (s.article_id IS NULL
   OR (s.status, s.published_at, s.issue_id, s.section_id, s.topic_ids)
      IS DISTINCT FROM
      (a.status, a.published_at, a.issue_id, a.section_id, coalesce(topics.ids, '{}'))
   OR s.excerpt IS DISTINCT FROM articles_search_excerpt(a.standfirst, a.body)
   OR s.document IS DISTINCT FROM articles_search_apart(ARRAY[
        setweight(to_tsvector('english', coalesce(a.title, '')), 'A'),
        setweight(to_tsvector('english', coalesce(a.standfirst, '')), 'B'),
        setweight(to_tsvector('english', coalesce(a.body, '')), 'C')]
      || coalesce(names.v, '{}') || coalesce(topics.v, '{}')))
UNION ALL
SELECT s.article_id, FALSE FROM articles_search s
WHERE s.article_id BETWEEN %(low)s AND %(high)s
  AND NOT EXISTS (SELECT 1 FROM articles_article a WHERE a.id = s.article_id)
"""


def check_search(*, repair: bool, low: int = 0, high: int = 2**62) -> Iterator[Drift]:
    """articles_search (PostgreSQL): each article's row as the triggers would write it now,
    for the articles with keys from low to high."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(SEARCH_DRIFT, {"low": low, "high": high})
        found = cursor.fetchall()
    for pk, missing in found:
        yield Drift("articles_search", pk, "missing" if missing else "stale", "trigger's row")
    if repair and found:
        ids = [pk for pk, _ in found]
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM articles_search WHERE article_id = ANY(%s)", [ids])
            # The article trigger writes a missing row afresh on any update of the article.
            cursor.execute("UPDATE articles_article SET title = title WHERE id = ANY(%s)", [ids])


def _search_slice(low: int, high: int, repair: bool) -> list[Drift]:
    try:
        return list(check_search(repair=repair, low=low, high=high))
    finally:
        connection.close()  # this thread's own connection


def _search_in_background(repair: bool) -> list:
    """The search check, the costliest (it parses every article's text again, in the
    database), split by key range over a few connections that run while this process
    checks the other copies. Not inside a transaction: the other connections would not
    see its writes."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return []
    low, high = Article.objects.aggregate(low=Min("pk"), high=Max("pk")).values()
    if low is None:
        return []
    workers = max(1, min(SEARCH_WORKERS, os.cpu_count() or 1))
    step = (high - low) // workers + 1
    pool = ThreadPoolExecutor(max_workers=workers)
    futures = [
        pool.submit(_search_slice, start, start + step - 1, repair)
        for start in range(low, high + 1, step)
    ]
    pool.shutdown(wait=False)
    return futures


SEARCH_WORDS_FRESH = """
SELECT l AS word, count(*) AS ndoc
FROM articles_search s CROSS JOIN unnest(tsvector_to_array(s.document)) l GROUP BY l
"""
SEARCH_WORDS_DRIFT = """
SELECT coalesce(f.word, w.word), w.ndoc, f.ndoc
FROM articles_search_word w FULL JOIN (
  SELECT l AS word, count(*) AS ndoc
  FROM articles_search s CROSS JOIN unnest(tsvector_to_array(s.document)) l GROUP BY l
) f ON f.word = w.word
WHERE w.ndoc IS DISTINCT FROM f.ndoc ORDER BY 1
"""


def check_search_words(*, repair: bool) -> Iterator[Drift]:
    """articles_search_word (PostgreSQL): each lexeme's number of stored documents."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(SEARCH_WORDS_DRIFT)
        found = cursor.fetchall()
    for word, stored, fresh in found:
        yield Drift("articles_search_word", word, stored, fresh)
    if repair and found:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("LOCK TABLE articles_search IN SHARE MODE")
            cursor.execute("DELETE FROM articles_search_word")
            cursor.execute("INSERT INTO articles_search_word (word, ndoc)" + SEARCH_WORDS_FRESH)


CHECKS = {
    "cards": check_cards,
    "body_html": check_body_html,
    "counts": check_counts,
    "related": check_related,
    "records": check_records,
    "search": check_search,
    "search_words": check_search_words,
}


def check(*, repair: bool = False, only: list[str] | None = None) -> Iterator[Drift]:
    """Every drift of every declared copy (those named in only), repaired if asked."""
    names = [name for name in CHECKS if not only or name in only]
    background = _search_in_background(repair) if "search" in names else []
    if background:
        names.remove("search")
    for name in names:
        yield from CHECKS[name](repair=repair)
    for future in background:
        yield from future.result()


def drifts(**kwargs) -> list[Drift]:
    return list(check(**kwargs))


@task()
def check_derived() -> dict[str, int]:
    """Daily: find and repair every drifted copy; log and return how many, by copy."""
    repaired: dict[str, int] = {}
    for drift in check(repair=True):
        repaired[drift.copy] = repaired.get(drift.copy, 0) + 1
        logger.warning("Derived copy repaired: %s", drift)
    logger.info("check_derived repaired %d values: %s", sum(repaired.values()), repaired)
    return repaired
