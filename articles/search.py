"""Full-text search over published articles.

On PostgreSQL: a weighted tsvector over title, standfirst and body (served by the GIN
index of migration 0003), plus author names and topics, ranked with ts_rank and
highlighted with ts_headline. Elsewhere (SQLite in development): every word must occur
somewhere, ranked by where it occurs, with a snippet cut in Python.
"""

import html
import re

import nh3
from django import forms
from django.contrib.postgres.search import (
    SearchHeadline,
    SearchQuery,
    SearchRank,
    SearchVector,
)
from django.db import connection
from django.db.models import Case, F, FloatField, Func, IntegerField, Q, Value, When
from django.db.models.lookups import Exact
from django.utils.html import escape, strip_tags
from django.utils.safestring import SafeString, mark_safe

from articles.models import Article, Author, Authorship, Section, Topic

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


def document_vector() -> SearchVector:
    """Title, standfirst and body, weighted A, B, C.

    The SQL Django generates for this is exactly the expression of the GIN index created
    by migration 0003 (a test checks that PostgreSQL uses it): change both together.
    """
    return (
        SearchVector("title", config=CONFIG, weight="A")
        + SearchVector("standfirst", config=CONFIG, weight="B")
        + SearchVector("body", config=CONFIG, weight="C")
    )


def _matching_ids(query: str, *, search_type: str = "websearch"):
    """Ids of articles whose text, an author's name or a topic matches the whole query,
    plus the SearchQuery (for ranking) and the author and topic id sets (for boosts)."""
    ts_query = SearchQuery(query, config=CONFIG, search_type=search_type)
    name_query = SearchQuery(query, config="simple", search_type=search_type)
    by_author = Authorship.objects.filter(
        author__in=Author.objects.annotate(
            names=SearchVector("given_name", "family_name", config="simple")
        ).filter(names=name_query)
    ).values("article_id")
    by_topic = Article.topics.through.objects.filter(
        topic__in=Topic.objects.annotate(names=SearchVector("name", config=CONFIG)).filter(
            names=ts_query
        )
    ).values("article_id")
    # A union of ids (rather than OR-ed conditions) lets PostgreSQL use the GIN index.
    by_text = (
        Article.objects.annotate(document=document_vector()).filter(document=ts_query).values("pk")
    )
    return by_text.union(by_author, by_topic), ts_query, by_author, by_topic


def _postgres(articles, query: str, terms: list[str]):
    matching, ts_query, by_author, by_topic = _matching_ids(query)
    condition = Q(pk__in=matching)
    if not OPERATORS_RE.search(query):
        # Plain words may each match somewhere else: "Ignoffo breast" is an article by
        # Ignoffo about breast cancer, as the SQLite fallback finds too.
        each_word, any_word = Q(), Q(pk__in=[])
        for term in terms:
            word_query = SearchQuery(term, config=CONFIG, search_type="plain")
            # A stop word ("the", "with") matches no text: it must not veto the others,
            # nor may stop words alone match everything.
            is_stop_word = Exact(
                Func(word_query, function="numnode", output_field=IntegerField()), 0
            )
            found = Q(pk__in=_matching_ids(term, search_type="plain")[0])
            each_word &= found | Q(is_stop_word)
            any_word |= found
        condition |= each_word & any_word
    document = document_vector()
    return (
        articles.filter(condition)
        .annotate(document=document)
        .annotate(
            rank=SearchRank(F("document"), ts_query)
            + Case(When(pk__in=by_author, then=Value(0.5)), default=Value(0.0))
            + Case(When(pk__in=by_topic, then=Value(0.3)), default=Value(0.0)),
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
            ),
        )
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
