"""Full-text search over published articles.

On PostgreSQL: a stored, trigger-maintained tsvector per article (title, standfirst,
body, author names and topics, weighted) in a narrow table of its own, articles_search
(migrations 0017, 0019 and 0024), beside the article's publish fields, topics and a
plain-text excerpt. One query per page finds the newest RANKED_AT_MOST matches (GIN
index, or the newest-first index for common words, its filters read from the index
alone), ranks them with ts_rank, counts them, cuts the page and highlights its rows with
ts_headline over the short excerpt; so a page costs the same at 2,000 articles as at
100,000, and page 40 what page 1 costs. More matches than that: the page says it lists
the newest. What the word index cannot narrow (a phrase of common words seldom side by
side, common words less others, exclusions alone) is bounded (EXAMINED_AT_MOST), and
the page says so when that cut anything. A filter with no words lists its articles
newest first from the index, with an exact count (FilteredList).
Elsewhere (SQLite in development): every word must occur somewhere, ranked by where it
occurs, with a snippet cut in Python; a filter alone is a plain query.
"""

import html
import re
from collections.abc import Sequence
from datetime import datetime

import nh3
from django import forms
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Case, FloatField, Max, Min, Q, Value, When
from django.forms.utils import flatatt
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import escape, format_html, strip_tags
from django.utils.safestring import SafeString, mark_safe

from articles import tsquery
from articles.derived.counts import live_count
from articles.models import Article, Authorship, Issue, Section, Topic
from articles.models.article import CARD_FIELDS
from articles.models.publishing import PublishState

CONFIG = "english"
MAX_TERMS = 12
SNIPPET_CHARS = 240
WORD_RE = re.compile(r"\w+", re.UNICODE)


class QuickSelect(forms.Select):
    """A single-choice select built in Python: Django's template-based widget renderer
    costs about 0.1 ms per option, and the search form has some eighty of them."""

    def render(self, name, value, attrs=None, renderer=None):
        chosen = self.format_value(value)
        chosen = chosen[0] if chosen else None
        options = []
        for option_value, label in self.choices:
            option_value = "" if option_value is None else str(option_value)
            selected = option_value == chosen
            if selected:
                chosen = None  # one option only, as Select marks the first match
            options.append(
                format_html(
                    '<option value="{}"{}>{}</option>',
                    option_value,
                    " selected" if selected else "",
                    label,
                )
            )
        return format_html(
            '<select name="{}"{}>\n{}\n</select>',
            name,
            flatatt(self.build_attrs(self.attrs, attrs)),
            mark_safe("\n".join(options)),
        )


class SearchForm(forms.Form):
    q = forms.CharField(
        label="Search articles", required=False, max_length=200, widget=forms.SearchInput
    )
    topic = forms.ModelChoiceField(
        Topic.objects.all(),
        to_field_name="slug",
        required=False,
        empty_label="All topics",
        widget=QuickSelect,
    )
    section = forms.ModelChoiceField(
        Section.objects.all(),
        to_field_name="slug",
        required=False,
        empty_label="All sections",
        widget=QuickSelect,
    )
    year = forms.TypedChoiceField(coerce=int, required=False, empty_value=None, widget=QuickSelect)

    def __init__(self, *args, years=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [("", "Any year")] + [(y, str(y)) for y in years]


def terms_of(query: str) -> list[str]:
    """The words of a query; punctuation-only or empty queries have none."""
    return WORD_RE.findall(query or "")[:MAX_TERMS]


def search_articles(query: str, *, topic=None, section=None, year=None):
    """Published articles matching query, best first, with .rank (and .headline on PostgreSQL).

    With no words, a filter alone lists its articles newest first; with neither, nothing.
    On PostgreSQL a RankedSearch or a FilteredList (sequences read a page at a time).
    """
    terms = terms_of(query)
    articles = Article.objects.published()
    if topic is not None:
        articles = articles.filter(pk__in=topic.articles.values("pk"))
    if section is not None:
        articles = articles.filter(section=section)
    if year is not None:
        articles = articles.filter(published_at__year=year)
    if not terms:
        if topic is None and section is None and year is None:
            return articles.none()
        if connection.vendor == "postgresql":
            return FilteredList(topic=topic, section=section, year=year)
        return articles.newest_first()
    if connection.vendor == "postgresql":
        return RankedSearch(query.strip(), topic=topic, section=section, year=year)
    return _fallback(articles, terms)


# ts_rank weights for D (authors' names, topics), C (body), B (standfirst), A (title).
WEIGHTS = [0.5, 0.2, 0.4, 1.0]
# Matches ranked by relevance, newest first: past these, results are not worth ranking.
RANKED_AT_MOST = 1000
# A query the word index cannot narrow (a phrase whose words are common but seldom side by
# side, common words less some others, or exclusions only) is checked on the newest
# EXAMINED_AT_MOST articles (of the section and year, if chosen; with a topic, the topic's
# among the newest TOPIC_EXAMINED_AT_MOST), and, unless it is exclusions only, on every
# article holding its words when at most CANDIDATES_AT_MOST do. Past both, the results are
# those of the newest articles only, and the page says so.
EXAMINED_AT_MOST = 4000
TOPIC_EXAMINED_AT_MOST = 16000
CANDIDATES_AT_MOST = 1500
HEADLINE_OPTIONS = (
    "StartSel=<mark>, StopSel=</mark>, MaxWords=40, MinWords=20, MaxFragments=2, "
    'FragmentDelimiter=" … "'
)
# Anything but words and spaces (a quote, a minus, a hyphen or apostrophe inside a word,
# which websearch_to_tsquery makes a phrase) or "or": read the query's shape first.
SHAPED_RE = re.compile(r"[^\w\s]|\bor\b", re.IGNORECASE)

# The newest matches (at most RANKED_AT_MOST + 1, to know whether there are more), by mode.
# "words": the planner chooses between walking the newest-first index (its filters read
# from the index alone, the document only for the articles they allow) and the GIN index.
NEWEST_WORDS_SQL = """
newest AS MATERIALIZED (
  SELECT w.article_id, w.published_at,
    ts_rank(%s::float4[], d.document, websearch_to_tsquery(%s::regconfig, %s)) AS rank
  FROM articles_search w JOIN articles_search d ON d.article_id = w.article_id
  WHERE d.document @@ websearch_to_tsquery(%s::regconfig, %s) AND {filters_w}
  ORDER BY w.published_at DESC, w.article_id DESC
  LIMIT %s
), settled AS (SELECT true AS done)
"""
# "examined" (exclusions only): the walk below. Settled when it finds more than
# RANKED_AT_MOST matches (the newest of them are the newest of all) or examines every
# article in its range; else bounded.
NEWEST_EXAMINED_SQL = """
{walk}, settled AS MATERIALIZED (
  SELECT (SELECT count(*) FROM walked) > %s OR (SELECT n FROM examined) < %s AS done
), newest AS MATERIALIZED (
  SELECT article_id, published_at FROM walked
  ORDER BY published_at DESC, article_id DESC LIMIT %s
)
"""
# The walk of "examined" and "checked": the newest EXAMINED_AT_MOST articles of the
# index's range (the live articles, of the section and year if chosen: the section-first
# index, or a year's dates), each document checked. With a topic, the newest
# TOPIC_EXAMINED_AT_MOST of the range, the topic tested on the index entry (topic_ids)
# before the row is read, and the documents of the topic's articles only (one by one: a
# join would tempt the planner to scan every document): a topic has no index of its own
# in date order.
WALK_SQL = """
walked AS MATERIALIZED (
  SELECT e.article_id, e.published_at FROM (
    SELECT s.article_id, s.published_at,
      s.document @@ websearch_to_tsquery(%s::regconfig, %s) AS hit
    FROM articles_search s
    WHERE {filters_s}
    ORDER BY s.published_at DESC, s.article_id DESC
    LIMIT %s
  ) e
  WHERE e.hit
  LIMIT %s
), {examined}"""
WALK_BY_TOPIC_SQL = """
walked AS MATERIALIZED (
  SELECT e.article_id, e.published_at FROM (
    SELECT s.article_id, s.published_at, %s = ANY(s.topic_ids) AS in_topic
    FROM articles_search s
    WHERE {filters_s}
    ORDER BY s.published_at DESC, s.article_id DESC
    LIMIT %s
  ) e
  WHERE e.in_topic AND (
    SELECT d.document @@ websearch_to_tsquery(%s::regconfig, %s)
    FROM articles_search d WHERE d.article_id = e.article_id)
  LIMIT %s
), {examined}"""
# How many articles the walk had (from the index alone): fewer than its bound, and it
# examined all there are. Counted only when the walk found too few matches to settle it.
EXAMINED_SQL = """examined AS MATERIALIZED (
  SELECT count(*) AS n FROM (
    SELECT 1 FROM articles_search s
    WHERE {filters_s}
    ORDER BY s.published_at DESC, s.article_id DESC
    LIMIT %s
  ) newest_ones
)"""
# "checked" (a phrase, or an exclusion beside words): the walk; when that does not settle
# it, the articles holding the words every match holds (tsquery.words_query, through the
# GIN index; whatever the topic) are counted, up to CANDIDATES_AT_MOST + 1, and if they
# are that few, each is checked: the newest matches of the whole archive. Else bounded.
NEWEST_CHECKED_SQL = """
{walk}, walk AS MATERIALIZED (
  SELECT (SELECT count(*) FROM walked) > %s OR (SELECT n FROM examined) < %s AS done
), probed AS MATERIALIZED (
  SELECT count(*) AS n FROM (
    SELECT 1 FROM articles_search s
    WHERE NOT (SELECT done FROM walk) AND s.document @@ %s::tsquery AND {in_range}
    LIMIT %s
  ) candidates
), settled AS MATERIALIZED (
  SELECT (SELECT done FROM walk) OR (SELECT n FROM probed) <= %s AS done
), indexed AS MATERIALIZED (
  SELECT s.article_id, s.published_at FROM articles_search s
  WHERE NOT (SELECT done FROM walk) AND (SELECT n FROM probed) <= %s
    AND s.document @@ %s::tsquery
    AND (s.document @@ websearch_to_tsquery(%s::regconfig, %s)) IS TRUE AND {filters_s}
  ORDER BY s.published_at DESC, s.article_id DESC
  LIMIT %s
), newest AS MATERIALIZED (
  SELECT article_id, published_at FROM walked
  WHERE (SELECT done FROM walk) OR (SELECT n FROM probed) > %s
  UNION ALL
  SELECT article_id, published_at FROM indexed
)
"""

# One query per page shown: the newest matches (see above), the newest RANKED_AT_MOST of
# them ranked by ts_rank (as before, on the same weighted document; "words" ranks each
# match as it reads its document, the others read the kept ones' again), numbered,
# counted, and cut to the page, with headlines from the stored excerpt for the page's
# rows only. The first row holds whether there were more matches and whether the search
# was bounded (it comes back even when nothing matched), so the total is known even for a
# page past the end.
RANKED_SQL = """
WITH {newest}
SELECT flags.more, flags.bounded, numbered.article_id, numbered.rank, numbered.total,
  numbered.n,
  CASE WHEN numbered.n > %s THEN ts_headline(%s::regconfig, e.excerpt,
    websearch_to_tsquery(%s::regconfig, %s), %s) END
FROM (
  SELECT (SELECT count(*) FROM newest) > %s AS more,
    NOT (SELECT done FROM settled) AS bounded
) flags
LEFT JOIN (
  SELECT ranked.article_id, ranked.rank, count(*) OVER () AS total,
    row_number() OVER (
      ORDER BY ranked.rank DESC, ranked.published_at DESC, ranked.article_id DESC) AS n
  FROM (
    SELECT kept.article_id, kept.published_at, {rank} AS rank
    FROM (
      SELECT {kept} FROM newest
      ORDER BY published_at DESC, article_id DESC LIMIT %s
    ) kept
  ) ranked
) numbered ON numbered.n = 1 OR (numbered.n > %s AND numbered.n <= %s)
LEFT JOIN articles_search e ON e.article_id = numbered.article_id
ORDER BY numbered.n
"""
RANK_LOOKUP = """(
  SELECT ts_rank(%s::float4[], d.document, websearch_to_tsquery(%s::regconfig, %s))
  FROM articles_search d WHERE d.article_id = kept.article_id)"""


def live_filters(alias: str, *, now, topic=None, section=None, year=None) -> tuple[str, list]:
    """Article.objects.published() and the search form's filters, as conditions on a row of
    articles_search: the columns its newest-first index carries, so that a walk of the
    index tests them without reading the row."""
    where = [
        # Published, due, and in a published issue or in none.
        f"{alias}.status = %s AND {alias}.published_at <= %s",
    ]
    params = [PublishState.PUBLISHED, now]
    # The issues not live (usually few: drafts and scheduled ones), once per query (an
    # InitPlan), so that a walk of the index tests each entry against a short array.
    issues_sql, issues_params = (
        Issue.objects.not_published(now).order_by().values("pk").query.sql_with_params()
    )
    where.append(f"({alias}.issue_id IS NULL OR {alias}.issue_id <> ALL (ARRAY({issues_sql})))")
    params.extend(issues_params)
    if section is not None:
        where.append(f"{alias}.section_id = %s")
        params.append(section.pk)
    if year is not None:
        tz = timezone.get_current_timezone()
        where.append(f"{alias}.published_at >= %s AND {alias}.published_at < %s")
        params += [datetime(year, 1, 1, tzinfo=tz), datetime(year + 1, 1, 1, tzinfo=tz)]
    if topic is not None:
        where.append(f"%s = ANY({alias}.topic_ids)")
        params.append(topic.pk)
    return " AND ".join(where), params


class _SlicedSequence(Sequence):
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


class RankedSearch(_SlicedSequence):
    """The ranked matches of a search on PostgreSQL, as a sequence of Articles (each with
    .rank, .headline and .snippet) that reads only the slices asked for.

    Searches articles_search (migrations 0019, 0024): a narrow table with the weighted
    document in the row and the article's publish fields and topics mirrored by triggers,
    so that neither the match nor the ranking touches the wide articles_article rows; only
    the page's articles are read from there (with the one published() rule, once more, as a
    safety net).

    After a page is read: .more says there were more than RANKED_AT_MOST matches (the
    newest of them were ranked); .bounded says only the newest .window articles were
    searched (see EXAMINED_AT_MOST), so older matches may exist.
    """

    def __init__(self, query: str, *, topic=None, section=None, year=None):
        self.query = query
        self.topic, self.section, self.year = topic, section, year
        self.more = self.bounded = False
        self.window = EXAMINED_AT_MOST
        self._shape = None
        self._total = None
        self._start = self._stop = 0  # the rows read so far: [start, stop)
        self._rows = []

    def __len__(self) -> int:
        if self._total is None:
            self._fetch(0, 0)
        return self._total

    def _slice(self, start: int, stop: int) -> list[Article]:
        if not (self._start <= start and stop <= self._stop):
            self._fetch(start, stop)
        return self._rows[start - self._start : stop - self._start]

    def __iter__(self):
        if self._total is None or self._start > 0 or self._stop < self._total:
            self._fetch(0, RANKED_AT_MOST)
        return iter(self._rows)

    def prefetch_page(self, number, per_page: int) -> None:
        """Read page `number` (1-based, if valid) and the total in one query."""
        try:
            number = max(1, int(number))
        except (TypeError, ValueError):
            number = 1
        self._fetch((number - 1) * per_page, number * per_page)

    def shape(self) -> tuple[str, str | None]:
        """("words", None); ("examined", None) for exclusions only; or ("checked", the
        words every match holds, as a tsquery) for a phrase or an exclusion beside words.
        Plain words need no query to tell."""
        if self._shape is None:
            self._shape = ("words", None)
            if SHAPED_RE.search(self.query):
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT websearch_to_tsquery(%s::regconfig, %s)::text",
                        [CONFIG, self.query],
                    )
                    text = cursor.fetchone()[0]
                try:
                    tree = tsquery.parse(text)
                except tsquery.Unreadable:
                    tree = None
                if not tsquery.needs_a_word(tree):
                    self._shape = ("examined", None)
                elif tsquery.is_checked(tree):
                    self._shape = ("checked", tsquery.words_query(tree))
        return self._shape

    def sql(self, start: int, stop: int) -> tuple[str, list]:
        """The ranked query for rows [start, stop) (and the flags, for the total)."""
        now = timezone.now()
        filters = dict(now=now, topic=self.topic, section=self.section, year=self.year)
        mode, words = self.shape()
        q = [CONFIG, self.query]
        limit = RANKED_AT_MOST + 1
        rank = "kept.rank"
        kept = "article_id, published_at, rank"
        rank_params = []
        if mode == "words":
            where, params = live_filters("w", **filters)
            newest = NEWEST_WORDS_SQL.format(filters_w=where)
            newest_params = [WEIGHTS, *q, *q, *params, limit]
        else:
            rank, kept = RANK_LOOKUP, "article_id, published_at"
            rank_params = [WEIGHTS, *q]
            where, params = live_filters("s", **filters)
            in_range, in_range_params = live_filters("s", **{**filters, "topic": None})
            if self.topic is None:
                window = EXAMINED_AT_MOST
                examined = EXAMINED_SQL.format(filters_s=where)
                walk_sql = WALK_SQL.format(filters_s=where, examined=examined)
                walk = [*q, *params, window, limit, *params, window]
            else:
                window = TOPIC_EXAMINED_AT_MOST
                examined = EXAMINED_SQL.format(filters_s=in_range)
                walk_sql = WALK_BY_TOPIC_SQL.format(filters_s=in_range, examined=examined)
                walk = [self.topic.pk, *in_range_params, window, *q, limit]
                walk += [*in_range_params, window]
            walk += [RANKED_AT_MOST, window]
            self.window = window
            if mode == "examined" or words is None:
                newest = NEWEST_EXAMINED_SQL.format(walk=walk_sql)
                newest_params = [*walk, limit]
            else:
                newest = NEWEST_CHECKED_SQL.format(
                    walk=walk_sql, filters_s=where, in_range=in_range
                )
                newest_params = [
                    *walk,
                    words,
                    *in_range_params,
                    CANDIDATES_AT_MOST + 1,
                    CANDIDATES_AT_MOST,
                    CANDIDATES_AT_MOST,
                    words,
                    *q,
                    *params,
                    limit,
                    CANDIDATES_AT_MOST,
                ]
        params = [
            *newest_params,
            start,
            CONFIG,
            *q,
            HEADLINE_OPTIONS,
            RANKED_AT_MOST,
            *rank_params,
            RANKED_AT_MOST,
            start,
            stop,
        ]
        return RANKED_SQL.format(newest=newest, rank=rank, kept=kept), params

    def _fetch(self, start: int, stop: int) -> None:
        with connection.cursor() as cursor:
            cursor.execute(*self.sql(start, stop))
            rows = cursor.fetchall()
        self.more, self.bounded = rows[0][:2]
        rows = [row[2:] for row in rows if row[2] is not None]
        self._total = rows[0][2] if rows else 0
        self._start, self._stop = start, min(stop, self._total)
        shown = [row for row in rows if start < row[3] <= stop]
        articles = {}
        if shown:
            articles = Article.objects.published().for_cards()
            articles = articles.in_bulk([row[0] for row in shown])
        self._rows = []
        for article_id, rank, _total, _n, headline in shown:
            article = articles.get(article_id)
            if article is None:  # unpublished since the ranked query: skip it
                continue
            article.rank = rank
            article.headline = headline or ""
            article.snippet = (
                mark_safe(nh3.clean(headline, tags={"mark"}, attributes={})) if headline else ""
            )
            self._rows.append(article)


# A filter with no words: the filtered articles' ids, newest first (or oldest first, for a
# page past the middle), from the newest-first or the section-first index alone, and their
# excerpts for the snippets.
FILTERED_PAGE_SQL = """
SELECT p.article_id, e.excerpt FROM (
  SELECT s.article_id, s.published_at FROM articles_search s
  WHERE {filters}
  ORDER BY s.published_at {order}, s.article_id {order}
  OFFSET %s LIMIT %s
) p JOIN articles_search e ON e.article_id = p.article_id
ORDER BY p.published_at DESC, p.article_id DESC
"""

FILTERED_COUNT_SQL = "SELECT count(*) FROM articles_search s WHERE {filters}"


class FilteredList(_SlicedSequence):
    """A filter's articles with no words, newest first, on PostgreSQL: a sequence of
    Articles (each with .snippet) that reads only the slices asked for.

    Its length is exact: a topic's or a section's stored count (articles.derived.counts), or
    else a count of the index entries of the narrowest range (the year's, or the
    section's) that pass the other filters, read from the index alone. A page is read from
    the index, from whichever end is nearer (as articles.paging.CountedPaginator does).
    """

    def __init__(self, *, topic=None, section=None, year=None):
        self.topic, self.section, self.year = topic, section, year
        self.more = self.bounded = False
        self._count = None
        self._cache = {}

    def _filters(self):
        return live_filters(
            "s", now=self._now, topic=self.topic, section=self.section, year=self.year
        )

    @cached_property
    def _now(self):
        return timezone.now()

    def __len__(self) -> int:
        if self._count is None:
            subjects = [f for f in (self.topic, self.section) if f is not None]
            if len(subjects) == 1 and self.year is None:
                # (As the object holds it: the search form reads the topic or section
                # afresh on every request.)
                self._count = live_count(subjects[0])
            else:
                where, params = self._filters()
                with connection.cursor() as cursor:
                    cursor.execute(FILTERED_COUNT_SQL.format(filters=where), params)
                    self._count = cursor.fetchone()[0]
        return self._count

    def _slice(self, start: int, stop: int) -> list[Article]:
        if (start, stop) not in self._cache:
            self._cache[(start, stop)] = self._read(start, stop)
        return self._cache[(start, stop)]

    def __iter__(self):
        """Every article, newest first (whatever the count says)."""
        return iter(self._read(0, None))

    def _read(self, start: int, stop: int | None) -> list[Article]:
        where, params = self._filters()
        if stop is not None and start > len(self) // 2:
            order, offset = "ASC", len(self) - stop
        else:
            order, offset = "DESC", start
        with connection.cursor() as cursor:
            cursor.execute(
                FILTERED_PAGE_SQL.format(filters=where, order=order),
                [*params, offset, None if stop is None else stop - start],
            )
            rows = cursor.fetchall()
        articles = Article.objects.published().for_cards().in_bulk([pk for pk, _ in rows])
        shown = []
        for pk, excerpt in rows:
            article = articles.get(pk)
            if article is not None:  # unpublished since: skip it
                article.snippet = plain_snippet(html.unescape(excerpt))
                shown.append(article)
        return shown


# The first and last live publication dates, each from one end of the newest-first index,
# checking each candidate's issue by its key (a scalar subquery: no hash of every live
# issue to build, as an IN or EXISTS would be planned).
YEARS_SQL = """
SELECT (SELECT s.published_at FROM articles_search s WHERE {live}
        ORDER BY s.published_at ASC LIMIT 1),
       (SELECT s.published_at FROM articles_search s WHERE {live}
        ORDER BY s.published_at DESC LIMIT 1)
"""
LIVE_SQL = (
    "s.status = %s AND s.published_at <= %s AND (s.issue_id IS NULL OR ("
    "SELECT i.status = %s AND i.published_at <= %s FROM articles_issue i"
    " WHERE i.id = s.issue_id))"
)


def published_years() -> range:
    """The years with published articles, newest first, for the search form's choices."""
    if connection.vendor == "postgresql":
        now = timezone.now()
        live = [PublishState.PUBLISHED, now, PublishState.PUBLISHED, now]
        with connection.cursor() as cursor:
            cursor.execute(YEARS_SQL.format(live=LIVE_SQL), live + live)
            first, last = cursor.fetchone()
    else:
        span = Article.objects.published().aggregate(
            first=Min("published_at"), last=Max("published_at")
        )
        first, last = span["first"], span["last"]
    if last is None:
        return range(0)
    tz = timezone.get_current_timezone()
    return range(last.astimezone(tz).year, first.astimezone(tz).year - 1, -1)


def search_page(form_data: dict, page_number, per_page: int):
    """The page of results the search form asks for: a Page whose articles carry .snippet.

    On PostgreSQL with words, one ranked query gives the page, its headlines and the
    total; otherwise a QuerySet is paginated (a COUNT, then the page)."""
    query = form_data.get("q") or ""
    results = search_articles(
        query,
        topic=form_data.get("topic"),
        section=form_data.get("section"),
        year=form_data.get("year"),
    )
    if isinstance(results, RankedSearch):
        results.prefetch_page(page_number, per_page)
        return Paginator(results, per_page).get_page(page_number)
    if isinstance(results, FilteredList):
        return Paginator(results, per_page).get_page(page_number)
    # What a list item shows, and the text a snippet is cut from.
    listed = results.select_related("issue__journal", "section").only(
        *CARD_FIELDS, "standfirst", "body"
    )
    page = Paginator(listed, per_page).get_page(page_number)
    add_snippets(page.object_list, query)
    return page


def _fallback(articles, terms: list[str]):
    rank = Value(0.0, output_field=FloatField())
    for term in terms:
        by_author = Authorship.objects.filter(
            Q(author__family_name__icontains=term) | Q(author__given_name__icontains=term)
        ).values("article_id")
        by_topic = Article.topics.through.objects.filter(topic__name__icontains=term).values(
            "article_id"
        )
        articles = articles.filter(
            Q(title__icontains=term)
            | Q(standfirst__icontains=term)
            | Q(body__icontains=term)
            | Q(pk__in=by_author)
            | Q(pk__in=by_topic)
        )
        for lookup, weight in (("title", 1.0), ("standfirst", 0.4), ("body", 0.1)):
            rank += Case(
                When(**{f"{lookup}__icontains": term}, then=Value(weight)),
                default=Value(0.0),
                output_field=FloatField(),
            )
    return articles.annotate(rank=rank).order_by("-rank", "-published_at", "-pk")


def add_snippets(articles: list[Article], query: str) -> None:
    """Set .snippet on each article shown that has none yet (RankedSearch sets them from
    its headlines): a marked extract cut in Python."""
    for article in articles:
        if not hasattr(article, "snippet"):
            article.snippet = snippet(article, query)


def plain_snippet(text: str) -> SafeString:
    """The start of a text, about SNIPPET_CHARS long, escaped (a list with no words)."""
    text = " ".join(text.split())
    return escape(text[:SNIPPET_CHARS] + ("…" if len(text) > SNIPPET_CHARS else ""))


def snippet(article: Article, query: str) -> SafeString:
    """A short extract of the article with the query's words marked, safe to show."""
    headline = getattr(article, "headline", None)
    if headline:
        return mark_safe(nh3.clean(headline, tags={"mark"}, attributes={}))
    text = html.unescape(strip_tags(f"{article.standfirst} {article.body}"))
    text = " ".join(text.split())
    terms = terms_of(query)
    pattern = re.compile("|".join(re.escape(t) for t in terms), re.IGNORECASE) if terms else None
    match = pattern.search(text) if pattern else None
    start = max(0, match.start() - SNIPPET_CHARS // 3) if match else 0
    extract = text[start : start + SNIPPET_CHARS]
    extract = ("…" if start else "") + extract + ("…" if start + SNIPPET_CHARS < len(text) else "")
    if not pattern:
        return escape(extract)
    pieces = re.split(f"({pattern.pattern})", extract, flags=re.IGNORECASE)
    marked = "".join(
        f"<mark>{escape(piece)}</mark>" if i % 2 else escape(piece)
        for i, piece in enumerate(pieces)
    )
    return mark_safe(marked)
