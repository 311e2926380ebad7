"""Search on PostgreSQL, over articles_search (SearchEntry): one row per article holding
its weighted document (title A, standfirst B, body C, each author's and topic's name D,
kept apart so that no phrase spans two of them), its publish fields, topics and a
plain-text excerpt, all kept by triggers; the document and excerpt are stored out of line,
so its rows are narrow (migration 0034). The reader's query is read by
websearch_to_tsquery; every match is counted, with its facets, in one pass through the
documents' index that reads no document. The ranking is RUM's score where the documents'
index is RUM (migration 0034): the page's rows come in order from the index, and only they
(and a few around them, for ties) are scored from their documents; phrases, and
exclusions of phrases or alternatives, are scored match by match. Without RUM, every
match is scored with ts_rank in the counting pass. Only the rows shown get a headline."""

from collections.abc import Sequence
from contextlib import contextmanager
from datetime import datetime

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank
from django.db import connection, transaction
from django.db.models import F, FloatField, Func, Max, Min, Q, QuerySet, Value
from django.db.models.functions import ExtractYear
from django.utils import timezone
from django.utils.functional import cached_property

from articles.derived.counts import live_count
from articles.models import Article, Issue, SearchEntry, Section
from articles.models.publishing import PublishState
from articles.reader.search.query import ParsedQuery, exclusions_only
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


# By relevance with RUM: the ids first read in the index's order (cheap: no document is
# read), at least this many, or twice the page's end; more if equal scores run past them.
RUM_FIRST_READ = 200
# Past a page's rows, at most this many of the ids read are scored in the page's query.
RUM_SCORED_AT_ONCE = 64
# The documents' index: RUM where the server has the extension (migration 0034), else GIN.
DOCUMENT_INDEX = "articles_search_document_idx"


def tsquery(text: str) -> SearchQuery:
    return SearchQuery(text, search_type="websearch", config=CONFIG)


def rank_of(text: str) -> SearchRank:
    return SearchRank(F("document"), tsquery(text), weights=WEIGHTS)


class Distance(Func):
    """RUM's `document <=> query`: the inverse of RUM's score of the document (cover
    density over its positions, weighted like WEIGHTS), infinite when the score is 0. The
    RUM index returns matches in its order from the positions it stores; computed on a
    row, it reads the row's document."""

    arg_joiner = " <=> "
    template = "(%(expressions)s)"
    output_field = FloatField()


@contextmanager
def planned(*methods: str):
    """Run the queries inside with these plan methods off (e.g. "seqscan"): the planner
    costs a test of `document @@ query` on a row as a cheap function call, not as reading
    a 10-30 kB document stored out of line, so it would scan the table for a common
    word, where the index answers without reading any document."""
    settings = ", ".join(f"set_config('enable_{method}', 'off', true)" for method in methods)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SELECT {settings}")  # one statement, whatever their number
        yield


_rum_indexed = {}


def ranking_by_rum() -> bool:
    """Whether the documents' index is a RUM index (migration 0034, where the server has
    the extension): then the ranking is RUM's score, else ts_rank (with WEIGHTS both).
    Asked once per database a process uses."""
    name = connection.settings_dict["NAME"]
    if name not in _rum_indexed:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT 1 FROM pg_indexes WHERE indexname = %s AND indexdef LIKE %s",
                [DOCUMENT_INDEX, "% USING rum %"],
            )
            _rum_indexed[name] = cursor.fetchone() is not None
    return _rum_indexed[name]


def has_phrase(text: str) -> bool:
    """Whether websearch_to_tsquery(text) holds a phrase (`<->`): a quoted phrase, or a
    word the parser splits ("covid-19"). The RUM index does not return such a query's
    matches in the order of their distance (it checks the phrase, but its order is not
    the operator's), so they are scored one by one."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT strpos(websearch_to_tsquery(%s::regconfig, %s)::text, '<') > 0", [CONFIG, text]
        )
        return cursor.fetchone()[0]


def _lacking_words(groups: list[list[str]] | None) -> bool:
    """Whether exclusions_only() found words a match must lack, each alone (`-a -b`): no
    match holds any of the query's words, so every match scores 0 (by either ranking).
    (Not so for `-"a b"` or `-a or -b`: a match may hold a, and it counts.)"""
    return groups is not None and all(len(g) == 1 and " " not in g[0] for g in groups)


def live_entries(*, now=None, topic=None, section=None, year=None, kind=None) -> QuerySet:
    """Article.objects.published() and the search form's filters, as conditions on
    articles_search's own columns (those its newest-first and section indexes carry); a
    type of article (kind: a Section.ContentKind) is its sections', a handful of ids."""
    now = now or timezone.now()
    hidden_issues = Issue.objects.not_published(now).order_by().values("pk")
    entries = SearchEntry.objects.filter(
        Q(issue__isnull=True) | ~Q(issue__in=hidden_issues),
        status=PublishState.PUBLISHED,
        published_at__lte=now,
    )
    if section is not None:
        entries = entries.filter(section=section)
    if kind:
        entries = entries.filter(
            section__in=list(Section.objects.filter(content_kind=kind).values_list("pk", flat=True))
        )
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
    """The entries whose document matches the query (see ParsedQuery for author names).

    A query of exclusions only is read as "every entry but those holding the words": no
    index answers "lacks a word", and testing each live row would read every stored
    document; the index finds the entries holding them (exactly: plain words need no
    recheck)."""
    groups = exclusions_only(parsed.text)
    if groups is not None:
        holding = Q()
        for group in groups:  # a match lacks at least one of each group's
            holding |= Q(document=tsquery(" ".join(f'"{text}"' for text in group)))
        return entries.exclude(article__in=SearchEntry.objects.filter(holding).values("article_id"))
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
    by date. A page costs one query for the total, the facets (and, by date, the page's
    rows); by relevance with RUM, one for the page's rows in the index's order and one for
    their scores (more only when equal scores straddle the page's edges: see
    _best_rum()); one for its headlines; one for its articles (with the one published()
    rule, once more, as a safety net)."""

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
            with planned("seqscan"):
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

    def _page_and_facets(self, start: int, stop: int, *, ranked: bool) -> list[tuple]:
        """The number of matches and their facets (as self._total and self.facet_counts)
        and the rows [start, stop) in the order shown, as (id, rank), from one pass over
        the matches that keeps only each match's id, date, year, section, topics and (if
        ranked) its score, which reads every match's document. Unranked, the rows are
        newest first."""
        rank = Value(0.0, FloatField())
        if ranked and ranking_by_rum():
            rank = Value(1.0) / Distance(F("document"), tsquery(self.parsed.ranked_by))
        elif ranked:
            rank = rank_of(self.parsed.ranked_by)
        matched = self.matched.annotate(rank=rank, year=ExtractYear("published_at")).values(
            "article_id", "published_at", "rank", "year", "section_id", "topic_ids"
        )
        sql, params = matched.query.sql_with_params()
        order = "m.published_at DESC, m.article_id DESC"
        if ranked:
            order = "m.rank DESC, " + order
        found = {"year": [], "section": [], "topic": []}
        rows, total = [], 0
        with planned("seqscan"), connection.cursor() as cursor:
            cursor.execute(
                PAGE_AND_FACETS_SQL.format(matched=sql, order=order),
                (*params, stop - start, start),
            )
            for facet, key, name, kind, n, score, at in cursor.fetchall():
                if facet == "row":
                    rows.append((int(key), score, at))
                elif facet == "total":
                    total = n
                elif facet == "year":
                    found["year"].append((int(key) if key is not None else None, n))
                elif facet == "topic":
                    found["topic"].append((key, name, n))
                else:
                    found["section"].append((key, name, kind, n))
        rows.sort(key=lambda row: (row[1], row[2], row[0]), reverse=True)
        self._total, self.facet_counts = total, found
        return [(pk, score) for pk, score, _ in rows]

    def _best_rum(self, start: int, stop: int) -> list[tuple[int, float]] | None:
        """The rows [start, stop) of the ranking by RUM's score, as (id, rank).

        The index returns the matches' ids best first (ascending distance, scored from
        the positions it stores, no document read), in no order among equal scores. So
        the page's rows are scored from their documents, and the runs of equal scores
        that cross its edges are found by bisection over the index's order (scoring a
        few rows more: every row between two of equal score has that score too); those
        runs are then ordered newest first with the page's rows, and the page cut. None
        if the page's scores are out of the index's order (as for phrases: has_phrase)."""
        query = tsquery(self.parsed.ranked_by)
        ordered = self.matched
        if self.parsed.authors:  # every match matches ranked_by: the index reads by it
            ordered = ordered.filter(document=query)
        ordered = ordered.order_by(Distance(F("document"), query)).values_list(
            "article_id", flat=True
        )
        ids, distance = [], {}

        def read(n: int) -> None:  # the first n ids, in the index's order
            if n > len(ids):
                with planned("seqscan", "bitmapscan", "sort"):
                    ids[:] = list(ordered[:n])

        def score(*places: int) -> None:
            wanted = [ids[i] for i in places if ids[i] not in distance]
            if wanted:
                distance.update(
                    SearchEntry.objects.filter(article_id__in=wanted)
                    .annotate(distance=Distance(F("document"), query))
                    .values_list("article_id", "distance")
                )

        def at(i: int) -> float:
            score(i)
            return distance[ids[i]]

        read(min(self._total, max(2 * stop, RUM_FIRST_READ)))
        stop = min(stop, len(ids))
        if start >= stop:  # unpublished since the count
            return []
        # The page's rows and as many after them (all the ids read, when at most
        # RUM_SCORED_AT_ONCE more), in one query: the run of the page's last score usually
        # ends among them, and the search below then scores nothing more.
        more = len(ids) - stop
        score(*range(start, len(ids) if more <= RUM_SCORED_AT_ONCE else 2 * stop - start))
        page_distances = [distance[ids[i]] for i in range(start, stop)]
        if page_distances != sorted(page_distances):  # not the operator's order: score all
            return None

        def lowest(low: int, high: int, reached) -> int:
            """The lowest place in [low, high) where reached(distance) holds (it holds
            from some place on: distances ascend), else high; seven places scored a
            query."""
            while low < high:
                places = sorted({low + (high - low) * j // 8 for j in range(1, 8)} | {low})
                score(*places)
                below = [i for i in places if not reached(distance[ids[i]])]
                above = [i for i in places if reached(distance[ids[i]])]
                low = below[-1] + 1 if below else low
                high = above[0] if above else high
            return low

        # The run of the page's first score begins at `first`; that of its last ends
        # before `end` (read further while it lasts to the last id read).
        d_first, last = distance[ids[start]], distance[ids[stop - 1]]
        first = lowest(0, start, lambda d: d >= d_first)
        while at(len(ids) - 1) == last and len(ids) < self._total:
            before = len(ids)
            read(min(self._total, 8 * before))
            if len(ids) == before:
                break
        end = lowest(stop, len(ids), lambda d: d > last)
        window = ids[first:end]
        for pk in ids[first:start]:
            distance[pk] = d_first
        for pk in ids[stop:end]:
            distance[pk] = last
        published = dict(
            SearchEntry.objects.filter(article_id__in=window).values_list(
                "article_id", "published_at"
            )
        )
        window.sort(key=lambda pk: (distance[pk], -published[pk].timestamp(), -pk))
        page = window[start - first : stop - first]
        return [(pk, 1 / distance[pk]) for pk in page]

    def _fetch(self, start: int, stop: int) -> None:
        """Read the rows [start, stop): by relevance with RUM, in the index's order
        (_best_rum), unless the query has a phrase or is exclusions only (then matches are
        scored one by one, or, lacking every word, all score 0 and come newest first);
        by relevance without RUM, every match scored with ts_rank; by date, newest
        first."""
        excluding = exclusions_only(self.parsed.ranked_by)
        ranked = self.sort != "date" and not _lacking_words(excluding)
        by_rum = ranked and excluding is None and ranking_by_rum()
        by_rum = by_rum and not has_phrase(self.parsed.ranked_by)
        if by_rum:  # the page's rows come from the index: only the count and facets here
            self._page_and_facets(start, start, ranked=False)
            rows = self._best_rum(start, stop) if start < self._total else []
            if rows is None:
                rows = self._page_and_facets(start, stop, ranked=True)
        else:
            rows = self._page_and_facets(start, stop, ranked=ranked)
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
            alone = self.filters.get("year") is None and not self.filters.get("kind")
            if len(subjects) == 1 and alone:
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
  SELECT u.id, count(*) AS n FROM (SELECT unnest(m.topic_ids) AS id FROM m) u GROUP BY u.id
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
  SELECT u.id, count(*) AS n FROM (SELECT unnest(m.topic_ids) AS id FROM m) u GROUP BY u.id
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
