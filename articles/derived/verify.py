"""The verifier: every declared copy recomputed from its source rows and compared with
what is stored (manage.py check_derived; the daily task check_derived).

Each check is set-based: it reads the stored copies and their sources a chunk of
articles (or all topics, sections and authors) at a time, never a query per row, and
repairs only the rows that differ.

The two costly copies, the body's HTML (rendered in Python) and the search row (its text
parsed again in the database), leave a note for each row found equal to its fresh
computation (VerifiedCopy: md5 digests of the row's sources, of its stored value, and of
the code that computes it). A later check recomputes only the rows whose digests moved,
which is all an edit through any path (or none), a repair or new code can change; the
rest are the values found equal before, from the same sources, by the same code. `full`
recomputes every row (the worker does weekly: a note written around the verifier could
otherwise hide a drift until then).
"""

import hashlib
import inspect
import logging
import os
import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from importlib.metadata import version
from pathlib import Path

from django.db import connection, transaction
from django.db.models import Exists, F, Max, Min, OuterRef
from django.db.models.functions import MD5
from django.utils import timezone
from django_tasks import task

from articles.derived import cards, counts, records, related, search_queue
from articles.models import Article, Author, Section, Topic, VerifiedCopy

logger = logging.getLogger(__name__)

CHUNK = 2000
SEARCH_WORKERS = 4


class Tally:
    """How many rows of each noted copy a check recomputed (the others matched their
    notes), added to from the search check's threads."""

    def __init__(self):
        self.recomputed: Counter[str] = Counter()
        self._lock = threading.Lock()

    def add(self, copy: str, rows: int) -> None:
        with self._lock:
            self.recomputed[copy] += rows


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


def _md5(text: str | None) -> str:
    return hashlib.md5((text or "").encode(), usedforsecurity=False).hexdigest()


def _note(copy: str, code: str, notes: list[tuple[int, str, str]]) -> None:
    """Record rows found equal to their fresh computation: (row, source, value) digests."""
    now = timezone.now()
    VerifiedCopy.objects.bulk_create(
        [
            VerifiedCopy(copy=copy, row=row, source=source, value=value, code=code, verified_at=now)
            for row, source, value in notes
        ],
        update_conflicts=True,
        unique_fields=["copy", "row"],
        update_fields=["source", "value", "code", "verified_at"],
        batch_size=1000,
    )


def _forget_deleted(copy: str) -> None:
    VerifiedCopy.objects.filter(copy=copy).exclude(
        row__in=Article.objects.order_by().values("pk")
    ).delete()


@cache
def body_code() -> str:
    """A digest of the code that renders Article.body_html: the renderer's modules and
    the sanitizer library's version (a change of either recomputes every body)."""
    from articles import citations, paste, sanitizer

    sources = [_source(m) for m in (citations, paste, sanitizer, Article.render_body)]
    return _md5("\x1f".join([*sources, version("nh3")]))


def _source(code) -> str:
    """Its source; where only compiled files are deployed, its module's file's bytes."""
    try:
        return inspect.getsource(code)
    except (OSError, TypeError):
        return Path(inspect.getmodule(code).__file__).read_bytes().hex()


def check_body_html(*, repair: bool, full: bool = False, tally: Tally | None = None):
    """Article.body_html against the body rendered now (only the bodies whose note from an
    earlier check no longer matches, unless full)."""
    code = body_code()
    if full:
        chunks = _article_chunks("body", "body_html")
    else:
        noted = VerifiedCopy.objects.filter(
            copy="body_html",
            row=OuterRef("pk"),
            code=code,
            source=OuterRef("body_md5"),
            value=OuterRef("html_md5"),
        )
        unnoted = (
            Article.objects.annotate(body_md5=MD5("body"), html_md5=MD5("body_html"))
            .filter(~Exists(noted))
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        chunks = _chunks_of(list(unnoted), "body", "body_html")
    recomputed = 0
    for rows in chunks:
        stale, notes = [], []
        for pk, body, stored in rows:
            fresh = Article(body=body).render_body()
            recomputed += 1
            if stored == fresh:
                notes.append((pk, _md5(body), _md5(stored)))
                continue
            yield Drift("Article.body_html", pk, _short(stored), _short(fresh))
            stale.append(Article(pk=pk, body_html=fresh))
        if repair and stale:
            Article.objects.bulk_update(stale, ["body_html"], batch_size=500)
        _note("body_html", code, notes)
    if tally is not None:
        tally.add("body_html", recomputed)


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
# grouped in one pass instead of two subqueries per article. Each article's row is
# recomputed unless its note (VerifiedCopy) still matches the digests of its sources and
# of its stored row: the outer WHERE drops those before the select list parses anything.
# Rows queued for rewriting after a large rename (articles_search_pending) are skipped:
# not drift, but work the queue finishes (search_queue). Returns (id, missing, drifted,
# source digest, value digest) for the rows recomputed.
SEARCH_DRIFT = """
WITH author_words AS MATERIALIZED (
  SELECT id, given_name, family_name,
         setweight(to_tsvector('english', given_name || ' ' || family_name), 'D') AS v
  FROM articles_author
), topic_words AS MATERIALIZED (
  SELECT id, name, setweight(to_tsvector('english', name), 'D') AS v FROM articles_topic
), names AS (
  SELECT s.article_id, array_agg(w.v ORDER BY s.position, s.id) AS v,
         array_agg(ROW(w.given_name, w.family_name)::text ORDER BY s.position, s.id) AS src
  FROM articles_authorship s JOIN author_words w ON w.id = s.author_id
  WHERE s.article_id BETWEEN %(low)s AND %(high)s
  GROUP BY s.article_id
), topics AS (
  -- The ids from the links alone, as articles_search_topic_ids() reads them (a link whose
  -- topic is deleted in the same transaction, before the foreign key's deferred check,
  -- still counts there).
  SELECT at.article_id,
         array_agg(w.v ORDER BY w.name, w.id) FILTER (WHERE w.id IS NOT NULL) AS v,
         array_agg(at.topic_id ORDER BY at.topic_id) AS ids,
         array_agg(w.name ORDER BY w.name, w.id) FILTER (WHERE w.id IS NOT NULL) AS src
  FROM articles_article_topics at LEFT JOIN topic_words w ON w.id = at.topic_id
  WHERE at.article_id BETWEEN %(low)s AND %(high)s
  GROUP BY at.article_id
), pairs AS (
  SELECT a.id, a.title, a.standfirst, a.body, a.status, a.published_at, a.issue_id,
         a.section_id, coalesce(names.v, '{}') AS name_words,
         coalesce(topics.v, '{}') AS topic_words, coalesce(topics.ids, '{}') AS topic_ids,
         s.article_id IS NULL AS missing, s.document, s.excerpt,
         (s.status, s.published_at, s.issue_id, s.section_id, s.topic_ids) AS kept,
         md5(ROW(a.title, a.standfirst, a.body, a.status, a.published_at, a.issue_id,
                 a.section_id, names.src, topics.src, topics.ids)::text) AS source,
         md5(ROW(s.article_id, s.status, s.published_at, s.issue_id, s.section_id,
                 s.topic_ids, s.excerpt, s.document)::text) AS value
  FROM articles_article a
  LEFT JOIN articles_search s ON s.article_id = a.id
  LEFT JOIN names ON names.article_id = a.id
  LEFT JOIN topics ON topics.article_id = a.id
  WHERE a.id BETWEEN %(low)s AND %(high)s
)
SELECT p.id, p.missing,
  p.missing
   OR p.kept IS DISTINCT FROM (p.status, p.published_at, p.issue_id, p.section_id, p.topic_ids)
   OR p.excerpt IS DISTINCT FROM articles_search_excerpt(p.standfirst, p.body)
   OR p.document IS DISTINCT FROM articles_search_apart(ARRAY[
        setweight(to_tsvector('english', coalesce(p.title, '')), 'A'),
        setweight(to_tsvector('english', coalesce(p.standfirst, '')), 'B'),
        setweight(to_tsvector('english', coalesce(p.body, '')), 'C')]
      || p.name_words || p.topic_words) AS drifted,
  p.source, p.value
FROM pairs p
WHERE NOT EXISTS (SELECT 1 FROM articles_search_pending q WHERE q.article_id = p.id)
  AND (%(full)s OR NOT EXISTS (
  SELECT 1 FROM articles_verifiedcopy n
  WHERE n.copy = 'search' AND n.row = p.id AND n.code = %(code)s
    AND n.source = p.source AND n.value = p.value))
UNION ALL
SELECT s.article_id, FALSE, TRUE, NULL, NULL FROM articles_search s
WHERE s.article_id BETWEEN %(low)s AND %(high)s
  AND NOT EXISTS (SELECT 1 FROM articles_article a WHERE a.id = s.article_id)
"""


def search_code() -> str:
    """A digest of the code that writes and checks the search rows: this module's query,
    the search functions' definitions and the server's version (its parser and
    dictionaries)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT string_agg(p.proname || '(' || pg_get_function_arguments(p.oid) || ')' "
            "|| p.prosrc, E'\\n' ORDER BY p.proname, p.oid), current_setting('server_version') "
            "FROM pg_proc p WHERE p.proname LIKE 'articles%%'"
        )
        functions, server = cursor.fetchone()
    return _md5("\x1f".join([SEARCH_DRIFT, functions or "", server]))


def check_search(
    *,
    repair: bool,
    low: int = 0,
    high: int = 2**62,
    full: bool = False,
    code: str | None = None,
    tally: Tally | None = None,
) -> Iterator[Drift]:
    """articles_search (PostgreSQL): each article's row as the triggers would write it now,
    for the articles with keys from low to high (only those whose note no longer matches,
    unless full)."""
    if connection.vendor != "postgresql":
        return
    code = code or search_code()
    with connection.cursor() as cursor:
        cursor.execute(SEARCH_DRIFT, {"low": low, "high": high, "full": full, "code": code})
        rows = cursor.fetchall()
    found = [(pk, missing) for pk, missing, drifted, _, _ in rows if drifted]
    for pk, missing in found:
        yield Drift("articles_search", pk, "missing" if missing else "stale", "trigger's row")
    if repair and found:
        ids = [pk for pk, _ in found]
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM articles_search WHERE article_id = ANY(%s)", [ids])
            # The article trigger writes a missing row afresh on any update of the article.
            cursor.execute("UPDATE articles_article SET title = title WHERE id = ANY(%s)", [ids])
    _note("search", code, [(pk, src, val) for pk, _, drifted, src, val in rows if not drifted])
    if tally is not None:
        tally.add("search", sum(1 for row in rows if row[3] is not None))


def _search_slice(low: int, high: int, repair: bool, **kwargs) -> list[Drift]:
    try:
        return list(check_search(repair=repair, low=low, high=high, **kwargs))
    finally:
        connection.close()  # this thread's own connection


def _search_in_background(repair: bool, **kwargs) -> list:
    """The search check, the costliest (it parses every article's text again, in the
    database), split by key range over a few connections that run while this process
    checks the other copies. Not inside a transaction: the other connections would not
    see its writes."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return []
    low, high = Article.objects.aggregate(low=Min("pk"), high=Max("pk")).values()
    if low is None:
        return []
    kwargs["code"] = search_code()
    workers = max(1, min(SEARCH_WORKERS, os.cpu_count() or 1))
    step = (high - low) // workers + 1
    pool = ThreadPoolExecutor(max_workers=workers)
    futures = [
        pool.submit(_search_slice, start, start + step - 1, repair, **kwargs)
        for start in range(low, high + 1, step)
    ]
    pool.shutdown(wait=False)
    return futures


# ts_stat() counts each lexeme's documents in C: a quarter faster than unnesting every
# document and grouping.
SEARCH_WORDS_FRESH = """
SELECT word, ndoc FROM ts_stat('SELECT document FROM articles_search')
"""
SEARCH_WORDS_DRIFT = """
SELECT coalesce(f.word, w.word), w.ndoc, f.ndoc
FROM articles_search_word w FULL JOIN (
  SELECT word, ndoc FROM ts_stat('SELECT document FROM articles_search')
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


NOTED = {"body_html", "search"}  # the checks that keep notes (VerifiedCopy)


def check(
    *,
    repair: bool = False,
    only: list[str] | None = None,
    full: bool = False,
    tally: Tally | None = None,
) -> Iterator[Drift]:
    """Every drift of every declared copy (those named in only), repaired if asked; the
    noted copies recomputed only where their notes no longer match, unless full."""
    names = [name for name in CHECKS if not only or name in only]
    if repair and "search" in names:
        search_queue.drain()  # rows a rename queued are not drift, but work to finish
    for name in NOTED.intersection(names):
        _forget_deleted(name)
    noted = {"full": full, "tally": tally}
    background = _search_in_background(repair, **noted) if "search" in names else []
    if background:
        names.remove("search")
    for name in names:
        yield from CHECKS[name](repair=repair, **(noted if name in NOTED else {}))
    for future in background:
        yield from future.result()


def drifts(**kwargs) -> list[Drift]:
    return list(check(**kwargs))


@task()
def check_derived(full: bool = False) -> dict[str, int]:
    """Find and repair every drifted copy; log and return how many, by copy."""
    repaired: dict[str, int] = {}
    tally = Tally()
    for drift in check(repair=True, full=full, tally=tally):
        repaired[drift.copy] = repaired.get(drift.copy, 0) + 1
        logger.warning("Derived copy repaired: %s", drift)
    logger.info(
        "check_derived%s repaired %d values: %s (recomputed: %s)",
        " --full" if full else "",
        sum(repaired.values()),
        repaired,
        dict(tally.recomputed),
    )
    return repaired
