"""The search page's glue: what the form asks for, read by the PostgreSQL search or the
fallback, as a page of results with its facets, or, when nothing matches, a suggestion."""

import re
from dataclasses import dataclass, field

from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import Max, Min
from django.utils import timezone

from articles.models import Article, Section
from articles.models.article import CARD_FIELDS
from articles.reader.search import fallback, postgres
from articles.reader.search.query import parse
from articles.reader.search.snippets import add_snippets


def _on_postgresql() -> bool:
    return connection.vendor == "postgresql"


def search_articles(query: str, *, topic=None, section=None, year=None, kind=None, sort: str = ""):
    """Published articles matching query, best first (or newest first: sort="date"), each
    with .rank (and .headline on PostgreSQL); kind is a type of article (its section's
    Section.ContentKind).

    With no words, a filter alone lists its articles newest first; with neither, nothing.
    On PostgreSQL a RankedSearch or a FilteredList (sequences read a page at a time);
    elsewhere a QuerySet."""
    parsed = parse(query)
    filters = {"topic": topic, "section": section, "year": year, "kind": kind or None}
    if not parsed:
        if topic is None and section is None and year is None and not kind:
            return Article.objects.none()
        if _on_postgresql():
            return postgres.FilteredList(**filters)
        return _filtered(**filters).newest_first()
    if _on_postgresql():
        return postgres.RankedSearch(parsed, sort=sort, **filters)
    return fallback.search(_filtered(**filters), parsed, sort=sort)


def _filtered(*, topic=None, section=None, year=None, kind=None):
    articles = Article.objects.published()
    if kind:
        articles = articles.filter(section__content_kind=kind)
    if topic is not None:
        articles = articles.filter(pk__in=topic.articles.values("pk"))
    if section is not None:
        articles = articles.filter(section=section)
    if year is not None:
        articles = articles.filter(published_at__year=year)
    return articles


def published_years() -> range:
    """The years with published articles, newest first, for the search form's choices."""
    if _on_postgresql():
        span = postgres.live_span()
    else:
        span = Article.objects.published().aggregate(
            first=Min("published_at"), last=Max("published_at")
        )
    if span["last"] is None:
        return range(0)
    tz = timezone.get_current_timezone()
    return range(span["last"].astimezone(tz).year, span["first"].astimezone(tz).year - 1, -1)


def type_label(kind: str) -> str:
    """A type of article as the reader sees it ("Scholarly", "News")."""
    return dict(Section.ContentKind.choices).get(kind, kind).split(" (")[0]


@dataclass
class Facet:
    """One value of a facet: its label, its count, and the form's value that picks it."""

    label: str
    count: int
    value: str = ""
    chosen: bool = False


@dataclass
class Results:
    page: Page
    facets: dict[str, list[Facet]] = field(default_factory=dict)
    suggestion: str = ""


def suggestion(query: str, filters: dict) -> str:
    """For a search that found nothing on PostgreSQL, the query with each misspelt word
    replaced by the nearest word of the index's vocabulary, if that finds a published
    article; else "" (and always "" elsewhere)."""
    if not _on_postgresql():
        return ""
    respelled = postgres.respelled(parse(query))
    if not respelled:
        return ""
    pattern = re.compile(r"\w+", re.UNICODE)
    corrected = pattern.sub(lambda m: respelled.get(m.group(0).lower(), m.group(0)), query)
    corrected = " ".join(corrected.split())
    return corrected if postgres.finds_any(parse(corrected), **filters) else ""


def _facets(results, form_data: dict) -> dict[str, list[Facet]]:
    """Exact counts of every match by year, topic, section and type of article, for the
    reader to narrow the search by (the type follows from the sections' counts)."""
    if isinstance(results, postgres.RankedSearch):
        counted = results.facet_counts or postgres.facets(results.matched)
    elif isinstance(results, postgres.FilteredList):
        counted = postgres.facets(results.entries)
    else:
        counted = fallback.facets(results)
    topic, section = form_data.get("topic"), form_data.get("section")
    by_year = [
        Facet(str(year), n, str(year), year == form_data.get("year"))
        for year, n in sorted(counted["year"], reverse=True)
        if year is not None
    ]
    by_topic = [
        Facet(name, n, slug, topic is not None and slug == topic.slug)
        for slug, name, n in counted["topic"]
    ]
    by_section = [
        Facet(name, n, slug, section is not None and slug == section.slug)
        for slug, name, _, n in counted["section"]
        if slug is not None
    ]
    kinds = {}
    for slug, _, kind, n in counted["section"]:
        if slug is not None:
            kinds[kind] = kinds.get(kind, 0) + n
    by_topic.sort(key=lambda f: (-f.count, f.label))
    by_section.sort(key=lambda f: (-f.count, f.label))
    return {
        "year": by_year,
        "topic": by_topic,
        "section": by_section,
        "type": [
            Facet(type_label(kind), n, kind, kind == form_data.get("type"))
            for kind, n in sorted(kinds.items(), key=lambda kv: -kv[1])
        ],
    }


def search_page(form_data: dict, page_number, per_page: int) -> Results:
    """The page of results the search form asks for (its articles carry .snippet), with the
    facets of every match; or, when nothing matches, "did you mean" (PostgreSQL)."""
    query = form_data.get("q") or ""
    results = search_articles(
        query,
        topic=form_data.get("topic"),
        section=form_data.get("section"),
        year=form_data.get("year"),
        kind=form_data.get("type") or None,
        sort=form_data.get("sort") or "",
    )
    if isinstance(results, postgres.RankedSearch):
        results.prefetch_page(page_number, per_page)
    if isinstance(results, (postgres.RankedSearch, postgres.FilteredList)):
        page = Paginator(results, per_page).get_page(page_number)
    else:
        # What a list item shows, and the text a snippet is cut from.
        listed = results.select_related("issue__journal", "section").only(
            *CARD_FIELDS, "standfirst", "body"
        )
        page = Paginator(listed, per_page).get_page(page_number)
        add_snippets(page.object_list, query)
    if page.paginator.count:
        return Results(page=page, facets=_facets(results, form_data))
    filters = {name: form_data.get(name) for name in ("topic", "section", "year")}
    filters["kind"] = form_data.get("type") or None
    return Results(page=page, suggestion=suggestion(query, filters) if query else "")
