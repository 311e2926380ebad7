"""Search on PostgreSQL, over articles_search (SearchEntry): one row per article holding
its weighted document (title A, standfirst B, body C, each author's and topic's name D,
kept apart so that no phrase spans two of them), its publish fields, topics and a
plain-text excerpt, all kept by triggers. The reader's query is read by
websearch_to_tsquery; every match is scored with ts_rank and counted in one pass; only
the rows shown get a headline."""

from collections.abc import Sequence
from datetime import datetime

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank
from django.db import connection
from django.db.models import Count, F, Max, Min, Q, QuerySet, Window
from django.db.models.functions import ExtractYear
from django.utils import timezone
from django.utils.functional import cached_property

from articles.derived.counts import live_count
from articles.models import Article, Issue, SearchEntry
from articles.models.publishing import PublishState
from articles.reader.search.query import ParsedQuery
from articles.reader.search.snippets import clean_headline, plain_snippet

CONFIG = "english"
# ts_rank weights for D (an author's or a topic's name), C (body), B (standfirst), A (title):
# the ranking, the same for the site and for any reference it is checked against.
WEIGHTS = [0.1, 0.2, 0.4, 1.0]
HEADLINE = {
    "start_sel": "<mark>",
    "stop_sel": "</mark>",
    "max_words": 40,
    "min_words": 20,
    "max_fragments": 2,
    "fragment_delimiter": " … ",
}


def tsquery(text: str) -> SearchQuery:
    return SearchQuery(text, search_type="websearch", config=CONFIG)


def rank_of(text: str) -> SearchRank:
    return SearchRank(F("document"), tsquery(text), weights=WEIGHTS)


def live_entries(*, now=None, topic=None, section=None, year=None) -> QuerySet:
    """Article.objects.published() and the search form's filters, as conditions on
    articles_search's own columns (those its newest-first and section indexes carry)."""
    now = now or timezone.now()
    hidden_issues = Issue.objects.not_published(now).order_by().values("pk")
    entries = SearchEntry.objects.filter(
        Q(issue__isnull=True) | ~Q(issue__in=hidden_issues),
        status=PublishState.PUBLISHED,
        published_at__lte=now,
    )
    if section is not None:
        entries = entries.filter(section=section)
    if year is not None:
        tz = timezone.get_current_timezone()
        entries = entries.filter(
            published_at__gte=datetime(year, 1, 1, tzinfo=tz),
            published_at__lt=datetime(year + 1, 1, 1, tzinfo=tz),
        )
    if topic is not None:
        entries = entries.filter(topic_ids__contains=[topic.pk])
    return entries


def matching(entries: QuerySet, parsed: ParsedQuery) -> QuerySet:
    """The entries whose document matches the query (see ParsedQuery for author names)."""
    condition = Q(document=tsquery(parsed.text))
    if parsed.authors:
        by_name = Q(document=tsquery(parsed.reduced))
        for name in parsed.authors:
            by_name &= Q(article__in=name.article_ids())
        condition |= by_name
    return entries.filter(condition)


class SlicedSequence(Sequence):
    """A sequence that reads its items a slice at a time: subclasses give __len__ and
    _slice(start, stop), called with 0 <= start < stop <= len(self)."""

    def __getitem__(self, index):
        if isinstance(index, int):
            found = self[index : index + 1]
            if not found:
                raise IndexError(index)
            return found[0]
        start, stop, step = index.indices(len(self))
        if step != 1:
            raise ValueError(f"{type(self).__name__} slices have no step")
        if stop <= start:
            return []
        return self._slice(start, stop)


def _cards(ids: list[int]) -> dict[int, Article]:
    return Article.objects.published().for_cards().in_bulk(ids) if ids else {}


class RankedSearch(SlicedSequence):
    """The matches of a search, as a sequence of Articles (each with .rank, .headline and
    .snippet) that reads only the slices asked for.

    Exact: its length is the number of live articles matching (with the filters), and the
    order is the ranking over all of them (ties newest first), or newest first when sorted
    by date. A page costs one query for its rows and the total (a window count over every
    match), one for its headlines, and one for its articles (with the one published() rule,
    once more, as a safety net)."""

    def __init__(self, parsed: ParsedQuery, *, sort: str = "", **filters):
        self.parsed = parsed
        self.sort = sort
        self.filters = filters
        self._total = None
        self._start = self._stop = 0  # the rows read so far: [start, stop)
        self._rows = []
        self.facet_counts = None  # by year, section and topic, once a page is read

    @cached_property
    def matched(self) -> QuerySet:
        return matching(live_entries(**self.filters), self.parsed)

    def __len__(self) -> int:
        if self._total is None:
            self._total = self.matched.count()
        return self._total

    def _slice(self, start: int, stop: int) -> list[Article]:
        if not (self._start <= start and stop <= self._stop):
            self._fetch(start, stop)
        return self._rows[start - self._start : stop - self._start]

    def __iter__(self):
        if self._total is None or self._start > 0 or self._stop < self._total:
            self._fetch(0, len(self))
        return iter(self._rows)

    def prefetch_page(self, number, per_page: int) -> None:
        """Read page `number` (1-based, if valid) and the total in one query."""
        try:
            number = max(1, int(number))
        except (TypeError, ValueError):
            number = 1
        number = min(number, 10**9)  # past any archive, within OFFSET's range
        self._fetch((number - 1) * per_page, number * per_page)

    def ranking(self) -> QuerySet:
        """Every match with its rank and the number of matches, in the order shown."""
        order = ["-rank", "-published_at", "-article_id"]
        if self.sort == "date":
            order = ["-published_at", "-article_id"]
        return self.matched.annotate(
            rank=rank_of(self.parsed.ranked_by), total=Window(Count("*"))
        ).order_by(*order)

    def _page_and_facets(self, start: int, stop: int) -> list[tuple[int, float]]:
        """The rows [start, stop) in the order shown, and (as self._total and
        self.facet_counts) the number of matches and their facets, from one pass over the
        matches: each is ranked once, and only its id, rank, date, year, section and topics
        are kept for the sort and the counts (a window count over the whole rows would
        spill every stored document to disk)."""
        matched = self.matched.annotate(
            rank=rank_of(self.parsed.ranked_by), year=ExtractYear("published_at")
        ).values("article_id", "published_at", "rank", "year", "section_id", "topic_ids")
        sql, params = matched.query.sql_with_params()
        order = "m.published_at DESC, m.article_id DESC"
        if self.sort != "date":
            order = "m.rank DESC, " + order
        found = {"year": [], "section": [], "topic": []}
        rows, total = [], 0
        with connection.cursor() as cursor:
            cursor.execute(
                PAGE_AND_FACETS_SQL.format(matched=sql, order=order),
                (*params, stop - start, start),
            )
            for facet, key, name, kind, n, rank, at in cursor.fetchall():
                if facet == "row":
                    rows.append((int(key), rank, at))
                elif facet == "total":
                    total = n
                elif facet == "year":
                    found["year"].append((int(key) if key is not None else None, n))
                elif facet == "topic":
                    found["topic"].append((key, name, n))
                else:
                    found["section"].append((key, name, kind, n))
        if self.sort == "date":
            rows.sort(key=lambda row: (row[2], row[0]), reverse=True)
        else:
            rows.sort(key=lambda row: (row[1], row[2], row[0]), reverse=True)
        self._total, self.facet_counts = total, found
        return [(pk, rank) for pk, rank, _ in rows]

    def _fetch(self, start: int, stop: int) -> None:
        rows = self._page_and_facets(start, stop)
        self._start, self._stop = start, min(stop, self._total)
        ids = [row[0] for row in rows]
        headlines = {}
        if ids:
            headlines = dict(
                SearchEntry.objects.filter(article__in=ids)
                .annotate(
                    headline=SearchHeadline(
                        "excerpt", tsquery(self.parsed.ranked_by), config=CONFIG, **HEADLINE
                    )
                )
                .values_list("article_id", "headline")
            )
        articles = _cards(ids)
        self._rows = []
        for article_id, rank in rows:
            article = articles.get(article_id)
            if article is None:  # unpublished since the ranked query: skip it
                continue
            article.rank = rank
            article.headline = headlines.get(article_id) or ""
            article.snippet = clean_headline(article.headline)
            self._rows.append(article)


class FilteredList(SlicedSequence):
    """A filter's articles with no words, newest first: a sequence of Articles (each with
    .snippet) that reads only the slices asked for.

    Its length is exact: a topic's or a section's stored count (articles.derived.counts), or
    else a count of the live entries that pass the filters. A page is read from whichever
    end of the newest-first index is nearer (as articles.paging.CountedPaginator does)."""

    def __init__(self, **filters):
        self.filters = filters
        self._count = None
        self._cache = {}

    @cached_property
    def entries(self) -> QuerySet:
        return live_entries(**self.filters)

    def __len__(self) -> int:
        if self._count is None:
            topic, section = self.filters.get("topic"), self.filters.get("section")
            subjects = [f for f in (topic, section) if f is not None]
            if len(subjects) == 1 and self.filters.get("year") is None:
                self._count = live_count(subjects[0])
            else:
                self._count = self.entries.count()
        return self._count

    def _slice(self, start: int, stop: int) -> list[Article]:
        if (start, stop) not in self._cache:
            self._cache[(start, stop)] = self._read(start, stop)
        return self._cache[(start, stop)]

    def __iter__(self):
        """Every article, newest first (whatever the count says)."""
        return iter(self._read(0, None))

    def _read(self, start: int, stop: int | None) -> list[Article]:
        newest = ["-published_at", "-article_id"]
        if stop is not None and start > len(self) // 2:
            entries = self.entries.order_by("published_at", "article_id")
            entries = entries[len(self) - stop : len(self) - start]
        else:
            entries = self.entries.order_by(*newest)[start:stop]
        rows = sorted(
            entries.values_list("article_id", "published_at", "excerpt"),
            key=lambda row: (row[1], row[0]),
            reverse=True,
        )
        articles = _cards([pk for pk, _, _ in rows])
        shown = []
        for pk, _, excerpt in rows:
            article = articles.get(pk)
            if article is not None:  # unpublished since: skip it
                article.snippet = plain_snippet(excerpt)
                shown.append(article)
        return shown


# A page of matches, their number and their facets, from one materialized pass (ranked
# once). The page's rows come back unordered (UNION ALL): the caller sorts them.
PAGE_AND_FACETS_SQL = """
WITH m AS MATERIALIZED ({matched})
SELECT 'row', p.article_id::text, NULL, NULL, NULL::bigint, p.rank, p.published_at FROM (
  SELECT m.article_id, m.rank, m.published_at FROM m ORDER BY {order} LIMIT %s OFFSET %s
) p
UNION ALL
SELECT 'total', NULL, NULL, NULL, count(*), NULL, NULL FROM m
UNION ALL
SELECT 'year', m.year::text, NULL, NULL, count(*), NULL, NULL FROM m GROUP BY m.year
UNION ALL
SELECT 'section', s.slug, s.name, s.content_kind, c.n, NULL, NULL FROM (
  SELECT m.section_id, count(*) AS n FROM m GROUP BY m.section_id
) c JOIN articles_section s ON s.id = c.section_id
UNION ALL
SELECT 'topic', t.slug, t.name, NULL, c.n, NULL, NULL FROM (
  SELECT u.id, count(*) AS n FROM m CROSS JOIN unnest(m.topic_ids) AS u(id) GROUP BY u.id
) c JOIN articles_topic t ON t.id = c.id
"""

FACETS_SQL = """
WITH m AS MATERIALIZED ({matched})
SELECT 'year', m.year::text, NULL, NULL, count(*) FROM m GROUP BY m.year
UNION ALL
SELECT 'section', s.slug, s.name, s.content_kind, c.n FROM (
  SELECT m.section_id, count(*) AS n FROM m GROUP BY m.section_id
) c JOIN articles_section s ON s.id = c.section_id
UNION ALL
SELECT 'topic', t.slug, t.name, NULL, c.n FROM (
  SELECT u.id, count(*) AS n FROM m CROSS JOIN unnest(m.topic_ids) AS u(id) GROUP BY u.id
) c JOIN articles_topic t ON t.id = c.id
"""


def facets(entries: QuerySet) -> dict[str, list[tuple]]:
    """Exact counts of the entries by year, (topic slug, name) and (section slug, name,
    content kind), in one pass over them."""
    matched = entries.annotate(year=ExtractYear("published_at")).values(
        "year", "section_id", "topic_ids"
    )
    sql, params = matched.query.sql_with_params()
    found = {"year": [], "section": [], "topic": []}
    with connection.cursor() as cursor:
        cursor.execute(FACETS_SQL.format(matched=sql), params)
        for facet, key, name, kind, n in cursor.fetchall():
            if facet == "year":
                found["year"].append((int(key), n))
            elif facet == "topic":
                found["topic"].append((key, name, n))
            else:
                found["section"].append((key, name, kind, n))
    return found


# For each word of the query that no stored document holds (and that is no stopword), the
# nearest lexeme of the index's vocabulary by trigrams (migration 0028), commonest first
# among equals.
SUGGEST_SQL = """
SELECT q.word, (
  SELECT v.word FROM articles_search_word v WHERE v.word %% q.word
  ORDER BY similarity(v.word, q.word) DESC, v.ndoc DESC, v.word LIMIT 1)
FROM unnest(%(words)s::text[]) WITH ORDINALITY AS q(word, n)
WHERE length(to_tsvector(%(config)s::regconfig, q.word)) > 0
  AND NOT EXISTS (
    SELECT 1 FROM articles_search_word v
    WHERE v.word = ANY(tsvector_to_array(to_tsvector(%(config)s::regconfig, q.word))))
ORDER BY q.n
"""


def respelled(parsed: ParsedQuery) -> dict[str, str]:
    """The query's unknown words (of four letters or more), each with the nearest word of
    the index's vocabulary, if any is near enough (pg_trgm's similarity threshold)."""
    words = [w.lower() for w in parsed.words if len(w) >= 4 and not w.isdigit()]
    if not words:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(SUGGEST_SQL, {"words": words, "config": CONFIG})
        return {word: near for word, near in cursor.fetchall() if near}


def finds_any(parsed: ParsedQuery, **filters) -> bool:
    """Whether the query finds a live article (with the filters)."""
    return matching(live_entries(**filters), parsed).exists()


def live_span() -> dict:
    """The first and last live publication dates (each read from one end of the
    newest-first index)."""
    return live_entries().aggregate(first=Min("published_at"), last=Max("published_at"))
