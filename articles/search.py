"""Full-text search over published articles.

On PostgreSQL: a stored, trigger-maintained tsvector per article (title, standfirst,
body, author names and topics, weighted; migration 0015) matched through its GIN index,
ranked with ts_rank, and highlighted with ts_headline for the rows shown only.
Elsewhere (SQLite in development): every word must occur somewhere, ranked by where it
occurs, with a snippet cut in Python.
"""

import html
import re

import nh3
from django import forms
from django.contrib.postgres.search import (
    SearchHeadline,
    SearchQuery,
    SearchRank,
)
from django.db import connection
from django.db.models import Case, F, FloatField, Q, Value, When
from django.utils.html import escape, strip_tags
from django.utils.safestring import SafeString, mark_safe

from articles.models import Article, Authorship, Section, Topic

CONFIG = "english"
MAX_TERMS = 12
SNIPPET_CHARS = 240
WORD_RE = re.compile(r"\w+", re.UNICODE)
# websearch_to_tsquery syntax: a phrase, an exclusion or an alternative.
OPERATORS_RE = re.compile(r'"|(?:^|\s)-\w|\bor\b', re.IGNORECASE)


class SearchForm(forms.Form):
    q = forms.CharField(
        label="Search articles", required=False, max_length=200, widget=forms.SearchInput
    )
    topic = forms.ModelChoiceField(
        Topic.objects.all(), to_field_name="slug", required=False, empty_label="All topics"
    )
    section = forms.ModelChoiceField(
        Section.objects.all(), to_field_name="slug", required=False, empty_label="All sections"
    )
    year = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)

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
        return _postgres(articles, query.strip(), terms)
    return _fallback(articles, terms)


# ts_rank weights for D (authors' names, topics), C (body), B (standfirst), A (title).
WEIGHTS = [0.5, 0.2, 0.4, 1.0]
# Matches ranked by relevance, newest first: past these, results are not worth ranking.
RANKED_AT_MOST = 1000


def _postgres(articles, query: str, terms: list[str]):
    """Match and rank on the stored search document (GIN index, migration 0015).

    Only the newest RANKED_AT_MOST matches are ranked, so a word found in most of the
    archive ("cancer") costs what a rarer one does; headlines come later, for the rows
    shown (add_snippets).
    """
    ts_query = SearchQuery(query, config=CONFIG, search_type="websearch")
    newest_matches = (
        articles.filter(search_document=ts_query)
        .order_by("-published_at", "-pk")
        .values("pk")[:RANKED_AT_MOST]
    )
    return (
        Article.objects.filter(pk__in=newest_matches)
        .annotate(rank=SearchRank(F("search_document"), ts_query, weights=WEIGHTS))
        .order_by("-rank", "-published_at", "-pk")
    )


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
    """Set .snippet on each article shown: ts_headline on PostgreSQL (one query for them
    all), a marked extract cut in Python elsewhere."""
    headlines = {}
    if connection.vendor == "postgresql" and articles and terms_of(query):
        ts_query = SearchQuery(query.strip(), config=CONFIG, search_type="websearch")
        headlines = dict(
            Article.objects.filter(pk__in=[a.pk for a in articles])
            .annotate(
                headline=SearchHeadline(
                    "body",
                    ts_query,
                    config=CONFIG,
                    start_sel="<mark>",
                    stop_sel="</mark>",
                    max_words=40,
                    min_words=20,
                    max_fragments=2,
                    fragment_delimiter=" … ",
                )
            )
            .values_list("pk", "headline")
        )
    for article in articles:
        if headlines.get(article.pk):
            article.headline = headlines[article.pk]
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
