"""Search without PostgreSQL (SQLite in development): every word or phrase must occur
within one field (substrings, unstemmed), ranked by where it occurs."""

from collections import Counter

from django.db.models import Case, Count, FloatField, Q, QuerySet, Value, When
from django.db.models.functions import Concat, ExtractYear

from articles.models import Article, Authorship
from articles.reader.search.query import ParsedQuery, groups_of


def _match(text: str) -> Q:
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


def _matches(query: str) -> Q:
    condition = Q()
    for group in groups_of(query):
        either = Q()
        for excluded, text in group:
            either |= ~_match(text) if excluded else _match(text)
        condition &= either
    return condition


def search(articles: QuerySet, parsed: ParsedQuery, *, sort: str = "") -> QuerySet:
    """The articles matching the query, best first (or newest first), with .rank."""
    condition = _matches(parsed.text)
    if parsed.authors:
        by_name = _matches(parsed.reduced)
        for name in parsed.authors:
            by_name &= Q(pk__in=name.article_ids())
        condition |= by_name
    rank = Value(0.0, output_field=FloatField())
    for group in groups_of(parsed.ranked_by):
        for excluded, text in group:
            if excluded:
                continue
            for lookup, weight in (("title", 1.0), ("standfirst", 0.4), ("body", 0.1)):
                rank += Case(
                    When(**{f"{lookup}__icontains": text}, then=Value(weight)),
                    default=Value(0.0),
                    output_field=FloatField(),
                )
    found = articles.filter(condition).annotate(rank=rank)
    if sort == "date":
        return found.order_by("-published_at", "-pk")
    return found.order_by("-rank", "-published_at", "-pk")


def facets(articles: QuerySet) -> dict[str, list[tuple]]:
    """Exact counts of the articles by year, (topic slug, name) and (section slug, name,
    content kind): two queries (years and sections counted together, by pair)."""
    ids = articles.order_by().values("pk")
    pairs = (
        Article.objects.filter(pk__in=ids)
        .annotate(year=ExtractYear("published_at"))
        .values_list("year", "section__slug", "section__name", "section__content_kind")
        .annotate(n=Count("pk"))
        .order_by()
    )
    years, sections = Counter(), Counter()
    for year, *section, n in pairs:
        years[year] += n
        sections[tuple(section)] += n
    topics = (
        Article.topics.through.objects.filter(article_id__in=ids)
        .values_list("topic__slug", "topic__name")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {
        "year": list(years.items()),
        "topic": list(topics),
        "section": [(*section, n) for section, n in sections.items()],
    }
