"""Full-text search over published articles: exact (every published article that matches,
counted), ranked over all matches, best first.

On PostgreSQL: a stored, trigger-maintained tsvector per article (title, standfirst, body,
each author's name and each topic's name, weighted, kept apart so that no phrase spans two
of them) in a narrow table of its own, articles_search (migrations 0017, 0019, 0024, 0025),
beside the article's publish fields, topics and a plain-text excerpt. The reader's query is
read by websearch_to_tsquery (words, "phrases", -exclusions, or). One query per page
scores every match with ts_rank and counts them in the same pass (RankedSearch), and
highlights the page's rows with ts_headline over the short excerpt. A filter with no words
lists its articles newest first from the index, with an exact count (FilteredList).
Elsewhere (SQLite in development): every word or phrase must occur within one field,
ranked by where it occurs, with a snippet cut in Python; a filter alone is a plain query.
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
from django.db.models.functions import Concat
from django.forms.utils import flatatt
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import escape, format_html, strip_tags
from django.utils.safestring import SafeString, mark_safe

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
    return _fallback(articles, query)


# ts_rank weights for D (an author's or a topic's name), C (body), B (standfirst), A (title):
# the ranking, the same for the site and for any reference it is checked against.
WEIGHTS = [0.1, 0.2, 0.4, 1.0]
HEADLINE_OPTIONS = (
    "StartSel=<mark>, StopSel=</mark>, MaxWords=40, MinWords=20, MaxFragments=2, "
    'FragmentDelimiter=" … "'
)
# {q}: the reader's query; {filters}: live_filters() on the row s.
QUERY_SQL = "websearch_to_tsquery(%(config)s::regconfig, %(query)s)"
RANK_SQL = "ts_rank(%(weights)s::float4[], s.document, {q})"

# One query per page shown: every match scored (RANK_SQL) and counted in one pass over the
# matching rows (the GIN index, or the newest-first or section index with the filters read
# from the index entry, as the planner finds cheaper), and the page's rows of the ranking
# (best first, ties newest first) with a headline cut from the stored excerpt for those
# rows only. The first row comes back even when nothing matched (or the page is past the
# end), so the total is always known.
RANKED_SQL = """
WITH matched AS MATERIALIZED (
  SELECT s.article_id, s.published_at, {rank} AS rank
  FROM articles_search s WHERE s.document @@ {q} AND {filters}
), total AS MATERIALIZED (
  SELECT count(*) AS n FROM matched
), page AS MATERIALIZED (
  SELECT article_id, rank, published_at FROM matched
  ORDER BY rank DESC, published_at DESC, article_id DESC
  OFFSET %(start)s LIMIT %(size)s
)
SELECT total.n, page.article_id, page.rank,
  CASE WHEN page.article_id IS NOT NULL THEN
    ts_headline(%(config)s::regconfig, e.excerpt, {q}, %(headline)s) END
FROM total
LEFT JOIN page ON true
LEFT JOIN articles_search e ON e.article_id = page.article_id
ORDER BY page.rank DESC, page.published_at DESC, page.article_id DESC
"""


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


def _named(sql: str, params: list, prefix: str) -> tuple[str, dict]:
    """sql's %s placeholders as named ones (prefix0, prefix1, …), with their values."""
    pieces = sql.split("%s")
    if len(pieces) != len(params) + 1:
        raise ValueError("placeholders and params differ")
    named = {f"{prefix}{i}": value for i, value in enumerate(params)}
    out = pieces[0]
    for i, piece in enumerate(pieces[1:]):
        out += f"%({prefix}{i})s" + piece
    return out, named


class RankedSearch(_SlicedSequence):
    """The ranked matches of a search on PostgreSQL, as a sequence of Articles (each with
    .rank, .headline and .snippet) that reads only the slices asked for.

    Exact: its length is the number of published articles matching (with the filters), and
    the order is the ranking (RANK_SQL) over all of them, ties newest first. It searches
    articles_search (migrations 0019, 0024, 0025): a narrow table with the weighted
    document in the row and the article's publish fields and topics mirrored by triggers;
    only the page's articles are read from articles_article (with the one published() rule,
    once more, as a safety net).
    """

    def __init__(self, query: str, *, topic=None, section=None, year=None):
        self.query = query
        self.topic, self.section, self.year = topic, section, year
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
            self._fetch(0, len(self))
        return iter(self._rows)

    def prefetch_page(self, number, per_page: int) -> None:
        """Read page `number` (1-based, if valid) and the total in one query."""
        try:
            number = max(1, int(number))
        except (TypeError, ValueError):
            number = 1
        # A page past any archive (the paginator then shows the last one) within OFFSET's range.
        number = min(number, 10**9)
        self._fetch((number - 1) * per_page, number * per_page)

    def sql(self, start: int, stop: int) -> tuple[str, dict]:
        """The query for the total and the rows [start, stop) of the ranking."""
        where, filter_params = live_filters(
            "s", now=timezone.now(), topic=self.topic, section=self.section, year=self.year
        )
        where, params = _named(where, filter_params, "f")
        params.update(
            config=CONFIG,
            query=self.query,
            weights=WEIGHTS,
            start=start,
            size=stop - start,
            headline=HEADLINE_OPTIONS,
        )
        sql = RANKED_SQL.replace("{rank}", RANK_SQL).replace("{filters}", where)
        return sql.replace("{q}", QUERY_SQL), params

    def _fetch(self, start: int, stop: int) -> None:
        with connection.cursor() as cursor:
            cursor.execute(*self.sql(start, stop))
            rows = cursor.fetchall()
        self._total = rows[0][0]
        self._start, self._stop = start, min(stop, self._total)
        shown = [row[1:] for row in rows if row[1] is not None]
        articles = {}
        if shown:
            articles = Article.objects.published().for_cards()
            articles = articles.in_bulk([row[0] for row in shown])
        self._rows = []
        for article_id, rank, headline in shown:
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
    the index, from whichever end is nearer (as articles.reader.paging.CountedPaginator does).
    """

    def __init__(self, *, topic=None, section=None, year=None):
        self.topic, self.section, self.year = topic, section, year
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


# A reader's query as websearch_to_tsquery reads it: "a phrase", -exclusion, or, words.
FALLBACK_TOKEN_RE = re.compile(r'(-?)"([^"]*)"?|(-?)([^\s"]+)')


def fallback_terms(query: str) -> list[list[tuple[bool, str]]]:
    """The query as groups ANDed together, each a list of (excluded, text) alternatives
    ORed: `a "b c" or d -e` is [[a], ["b c", d], [-e]]."""
    groups, join = [], False
    for match in FALLBACK_TOKEN_RE.finditer(query or ""):
        if match.group(2) is not None:
            excluded, text = bool(match.group(1)), " ".join(WORD_RE.findall(match.group(2)))
        else:
            excluded, text = bool(match.group(3)), " ".join(WORD_RE.findall(match.group(4)))
            if not excluded and text.lower() == "or" and groups:
                join = True
                continue
        if not text:
            continue
        if join:
            groups[-1].append((excluded, text))
        else:
            groups.append([(excluded, text)])
        join = False
    return groups[:MAX_TERMS]


def _fallback_match(text: str) -> Q:
    """Articles holding text (a word or a phrase) in one field: the title, the standfirst,
    the body, one author's name or one topic's name; never across two."""
    by_author = (
        Authorship.objects.annotate(
            full_name=Concat("author__given_name", Value(" "), "author__family_name")
        )
        .filter(full_name__icontains=text)
        .values("article_id")
    )
    by_topic = Article.topics.through.objects.filter(topic__name__icontains=text).values(
        "article_id"
    )
    return (
        Q(title__icontains=text)
        | Q(standfirst__icontains=text)
        | Q(body__icontains=text)
        | Q(pk__in=by_author)
        | Q(pk__in=by_topic)
    )


def _fallback(articles, query: str):
    """Every word or phrase in one field of the article (substrings, unstemmed), ranked by
    where the query's words and phrases occur: title, then standfirst, then body."""
    rank = Value(0.0, output_field=FloatField())
    for group in fallback_terms(query):
        either = Q()
        for excluded, text in group:
            match = _fallback_match(text)
            either |= ~match if excluded else match
            if excluded:
                continue
            for lookup, weight in (("title", 1.0), ("standfirst", 0.4), ("body", 0.1)):
                rank += Case(
                    When(**{f"{lookup}__icontains": text}, then=Value(weight)),
                    default=Value(0.0),
                    output_field=FloatField(),
                )
        articles = articles.filter(either)
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
