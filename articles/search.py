"""Full-text search over published articles.

On PostgreSQL: a stored, trigger-maintained tsvector per article (title, standfirst,
body, author names and topics, weighted) in a narrow table of its own, articles_search
(migrations 0017 and 0019), beside the article's publish fields and a plain-text
excerpt. One query per page finds the newest RANKED_AT_MOST matches (GIN index, or the
newest-first index for common words), ranks them with ts_rank, counts them, cuts the
page and highlights its rows with ts_headline over the short excerpt; so a page costs
the same at 2,000 articles as at 100,000, and page 40 what page 1 costs.
Elsewhere (SQLite in development): every word must occur somewhere, ranked by where it
occurs, with a snippet cut in Python.
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
from django.utils.html import escape, format_html, strip_tags
from django.utils.safestring import SafeString, mark_safe

from articles.models import Article, Authorship, Issue, Section, Topic
from articles.models.article import CARD_FIELDS
from articles.models.publishing import PublishState

CONFIG = "english"
MAX_TERMS = 12
SNIPPET_CHARS = 240
WORD_RE = re.compile(r"\w+", re.UNICODE)
# websearch_to_tsquery syntax: a phrase, an exclusion or an alternative.
OPERATORS_RE = re.compile(r'"|(?:^|\s)-\w|\bor\b', re.IGNORECASE)


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
        return articles.newest_first()
    if connection.vendor == "postgresql":
        return RankedSearch(query.strip(), topic=topic, section=section, year=year)
    return _fallback(articles, terms)


# ts_rank weights for D (authors' names, topics), C (body), B (standfirst), A (title).
WEIGHTS = [0.5, 0.2, 0.4, 1.0]
# Matches ranked by relevance, newest first: past these, results are not worth ranking.
RANKED_AT_MOST = 1000
HEADLINE_OPTIONS = (
    "StartSel=<mark>, StopSel=</mark>, MaxWords=40, MinWords=20, MaxFragments=2, "
    'FragmentDelimiter=" … "'
)

# One query per page shown: the newest RANKED_AT_MOST matches (found through the GIN
# index, or by walking the newest articles when the words are common), ranked by ts_rank
# (as before, on the same weighted document), numbered, counted, and cut to the page, with
# headlines from the stored excerpt for the page's rows only. Row 1 always comes back, so
# that the total is known even for a page past the end.
RANKED_SQL = """
SELECT numbered.article_id, numbered.rank, numbered.total, numbered.n,
  CASE WHEN numbered.n > %s THEN ts_headline(%s::regconfig, e.excerpt,
    websearch_to_tsquery(%s::regconfig, %s), %s) END
FROM (
  SELECT ranked.article_id, ranked.rank, count(*) OVER () AS total,
    row_number() OVER (
      ORDER BY ranked.rank DESC, ranked.published_at DESC, ranked.article_id DESC) AS n
  FROM (
    SELECT newest.article_id, newest.published_at,
      (SELECT ts_rank(%s::float4[], d.document, websearch_to_tsquery(%s::regconfig, %s))
       FROM articles_search d WHERE d.article_id = newest.article_id) AS rank
    FROM (
      SELECT s.article_id, s.published_at
      FROM articles_search s
      WHERE {where}
      ORDER BY s.published_at DESC, s.article_id DESC
      LIMIT %s
    ) newest
  ) ranked
) numbered
JOIN articles_search e ON e.article_id = numbered.article_id
WHERE numbered.n = 1 OR (numbered.n > %s AND numbered.n <= %s)
ORDER BY numbered.n
"""


class RankedSearch(Sequence):
    """The ranked matches of a search on PostgreSQL, as a sequence of Articles (each with
    .rank, .headline and .snippet) that reads only the slices asked for.

    Searches articles_search (migration 0019): a narrow table with the weighted document
    in the row and the article's publish fields mirrored by triggers, so that neither the
    match nor the ranking touches the wide articles_article rows; only the page's articles
    are read from there (with the one published() rule, once more, as a safety net).
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

    def __getitem__(self, index):
        if isinstance(index, int):
            found = self[index : index + 1]
            if not found:
                raise IndexError(index)
            return found[0]
        start, stop, step = index.indices(len(self))
        if step != 1:
            raise ValueError("RankedSearch slices have no step")
        if not (self._start <= start and stop <= self._stop):
            self._fetch(start, stop)
        return self._rows[start - self._start : max(start, stop) - self._start]

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

    def _where(self, now) -> tuple[str, list]:
        where = [
            "s.document @@ websearch_to_tsquery(%s::regconfig, %s)",
            # Article.objects.published(), on the mirrored fields: published, due, and in
            # a published issue or in none.
            "s.status = %s AND s.published_at <= %s",
        ]
        params = [CONFIG, self.query, PublishState.PUBLISHED, now]
        issues_sql, issues_params = (
            Issue.objects.published().order_by().values("pk").query.sql_with_params()
        )
        where.append(f"(s.issue_id IS NULL OR s.issue_id IN ({issues_sql}))")
        params.extend(issues_params)
        if self.section is not None:
            where.append("s.section_id = %s")
            params.append(self.section.pk)
        if self.year is not None:
            tz = timezone.get_current_timezone()
            where.append("s.published_at >= %s AND s.published_at < %s")
            params += [
                datetime(self.year, 1, 1, tzinfo=tz),
                datetime(self.year + 1, 1, 1, tzinfo=tz),
            ]
        if self.topic is not None:
            # IS TRUE keeps the planner from turning this into a join (with a scan of every
            # match); it stays a filter on the newest-first walk, against a hash of the
            # topic's articles.
            where.append(
                "(s.article_id IN (SELECT article_id FROM articles_article_topics"
                " WHERE topic_id = %s)) IS TRUE"
            )
            params.append(self.topic.pk)
        return " AND ".join(where), params

    def sql(self, start: int, stop: int) -> tuple[str, list]:
        """The ranked query for rows [start, stop) (and row 0, for the total)."""
        where, where_params = self._where(timezone.now())
        params = [
            start,
            CONFIG,
            CONFIG,
            self.query,
            HEADLINE_OPTIONS,
            WEIGHTS,
            CONFIG,
            self.query,
            *where_params,
            RANKED_AT_MOST,
            start,
            stop,
        ]
        return RANKED_SQL.format(where=where), params

    def _fetch(self, start: int, stop: int) -> None:
        with connection.cursor() as cursor:
            cursor.execute(*self.sql(start, stop))
            rows = cursor.fetchall()
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
