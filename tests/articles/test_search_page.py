"""What readers expect of the search page: facets with exact counts, sorting by date,
author names as a bibliography writes them, and no query that breaks the page."""

import random

import pytest
from django.db import connection
from django.db.models import Count
from django.db.models.functions import ExtractYear

from articles.models import Article
from articles.reader.search import parse, search_articles, search_page
from tests.articles.test_search_exact import QUERIES, archive  # noqa: F401 (a fixture)
from tests.factories import make_article, make_author, make_section, make_topic
from tests.html import parse as parse_html
from tests.html import seen

pytestmark = pytest.mark.django_db


def titles(results):
    return [a.title for a in results]


def expected_facets(ids):
    """The facets' counts, computed one by one over the articles with these ids."""
    articles = Article.objects.filter(pk__in=ids)
    years = dict(
        articles.annotate(y=ExtractYear("published_at")).values_list("y").annotate(n=Count("pk"))
    )
    topics = dict(
        Article.topics.through.objects.filter(article_id__in=ids)
        .values_list("topic__name")
        .annotate(n=Count("pk"))
    )
    sections = dict(articles.values_list("section__name").annotate(n=Count("pk")))
    return years, topics, sections


def test_facets_count_every_match_by_year_topic_and_section(archive):  # noqa: F811
    checked = 0
    for query in QUERIES:
        for filters in ({}, {"section": archive["section"]}):
            results = search_page({"q": query, **filters}, 1, 5)
            ids = [a.pk for a in search_articles(query, **filters)]
            if not ids:
                assert results.facets == {}
                continue
            years, topics, sections = expected_facets(ids)
            facets = results.facets
            assert {int(f.label): f.count for f in facets["year"]} == years, query
            assert {f.label: f.count for f in facets["topic"]} == topics, query
            assert {f.label: f.count for f in facets["section"]} == sections, query
            assert sum(f.count for f in facets["type"]) == len(ids) == results.page.paginator.count
            checked += 1
    assert checked > len(QUERIES)


def test_sorting_by_date_lists_the_same_matches_newest_first(archive):  # noqa: F811
    reordered = 0
    for query in ("cancer", '"breast cancer" -lymphoma', "lymphoma or myeloma"):
        best = list(search_articles(query))
        newest = list(search_articles(query, sort="date"))
        assert len(newest) == len(best) >= 3, query
        assert {a.pk for a in newest} == {a.pk for a in best}
        assert [a.pk for a in newest] == [
            a.pk for a in sorted(best, key=lambda a: (a.published_at, a.pk), reverse=True)
        ]
        reordered += titles(newest) != titles(best)
    assert reordered


def test_the_page_shows_facets_that_narrow_the_search(client):
    lymphoma, myeloma = make_topic("Lymphoma"), make_topic("Myeloma")
    news = make_section("FDA Oncology Update", content_kind="news")
    make_article(title="Rituximab one", topics=[lymphoma], body="<p>rituximab</p>")
    make_article(title="Rituximab two", topics=[lymphoma, myeloma], body="<p>rituximab</p>")
    make_article(title="Rituximab news", section=news, body="<p>rituximab</p>")
    make_article(title="Other", topics=[myeloma])
    page = parse_html(client.get("/search/?q=rituximab&sort=date"))
    aside = page.get_element_by_id("facets-heading").getparent()
    links = {seen(a): a.get("href") for a in aside.iter("a")}
    assert "Lymphoma" in links and "Myeloma" in links
    assert "topic=lymphoma" in links["Lymphoma"] and "sort=date" in links["Lymphoma"]
    text = seen(aside)
    assert "Lymphoma (2)" in text and "Myeloma (1)" in text
    assert "FDA Oncology Update (1)" in text and "News (1)" in text
    narrowed = parse_html(client.get("/search/" + links["Myeloma"]))
    assert "1 result for" in seen(narrowed.get_element_by_id("results-heading"))
    # The type of article narrows too (the news item), and is then the one chosen.
    assert "type=news" in links["News"]
    by_type = parse_html(client.get("/search/" + links["News"]))
    assert titles_seen(by_type) == ["Rituximab news"]
    facets = seen(by_type.get_element_by_id("facets-heading").getparent())
    assert "News (1)" in facets and "Scholarly" not in facets


def titles_seen(page):
    return [seen(h) for h in page.xpath("//div[@class='search-results-list']//h3")]


@pytest.mark.parametrize("words", ["", "rituximab", "rituximab -zzz", '"rituximab news"'])
def test_a_type_of_article_keeps_only_its_sections_articles(words):
    news = make_section("FDA Oncology Update", content_kind="news")
    scholarly = make_section("Original Article", content_kind="scholarly")
    topic = make_topic("Lymphoma")
    wanted = {
        make_article(title="Rituximab news", section=news, body="<p>rituximab news</p>"),
        make_article(title="More rituximab news", section=news, topics=[topic], body="<p>x</p>"),
    }
    make_article(title="Rituximab study", section=scholarly, body="<p>rituximab news</p>")
    make_article(title="Rituximab, no section", body="<p>rituximab news</p>")
    found = set(search_articles(words, kind="news"))
    assert found == wanted
    assert set(search_articles(words, kind="news", topic=topic)) <= found
    assert len(search_articles(words, kind="news")) == len(found)
    assert {a.title for a in search_articles(words, kind="scholarly")} <= {"Rituximab study"}


def test_an_unknown_type_is_a_form_error_not_a_500(client):
    response = client.get("/search/?q=rituximab&type=poetry")
    assert response.status_code == 200
    (alert,) = parse_html(response).xpath("//div[@role='alert']")
    assert "Type of article" in seen(alert)


@pytest.fixture
def authored():
    smith = make_author(given_name="Jane", family_name="Smith")
    other = make_author(given_name="Alan", family_name="Smith")
    return {
        "jane": make_article(title="Oral chemotherapy adherence", authors=[smith]),
        "alan": make_article(title="Febrile neutropenia", authors=[other]),
        "cited": make_article(title="Vitamin D deficiency", body="<p>Smith et al.</p>"),
    }


@pytest.mark.parametrize(
    "query", ["Smith J", "J Smith", "J. Smith", "Jane Smith", "smith j", "Smith JA"]
)
def test_author_names_match_as_a_bibliography_writes_them(authored, query):
    assert titles(search_articles(query)) == ["Oral chemotherapy adherence"]


def test_initials_only_widen_a_search(authored):
    if connection.vendor == "postgresql":  # (SQLite's fallback matches substrings: "b")
        assert titles(search_articles("Smith B adherence")) == []
    assert titles(search_articles("Smith J adherence")) == ["Oral chemotherapy adherence"]
    assert titles(search_articles("vitamin D deficiency")) == ["Vitamin D deficiency"]
    assert set(titles(search_articles("Smith"))) == {a.title for a in authored.values()}
    assert parse("Smith J or neutropenia").authors == ()
    assert parse('"Smith J" -x').authors == ()


def test_no_query_breaks_the_page(client, authored):
    rng = random.Random(19)
    pieces = [
        '"',
        "-",
        "or",
        "OR",
        "|",
        "&",
        "!",
        ":*",
        "(",
        ")",
        "\\",
        "'",
        "<b>",
        "%",
        "é",
        "漢",
        "J",
        "Smith",
        "cancer",
        "--",
        '""',
        "<->",
        " ",
        "\t",
        "\u200b",
    ]
    for _ in range(60):
        query = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 12)))
        for sort in ("", "date", "nonsense"):
            response = client.get(
                "/search/", {"q": query, "sort": sort, "page": rng.choice(["1", "99", "x"])}
            )
            assert response.status_code in (200, 400), (query, sort)


postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="pg_trgm over the PostgreSQL index's vocabulary"
)


@postgres_only
def test_a_misspelt_drug_name_gets_a_suggestion_that_finds_it(client):
    make_article(title="Zanubrutinib in mantle cell lymphoma", body="<p>Neutropenia.</p>")
    make_article(title="Venetoclax embargoed", status=Article.Status.DRAFT)
    page = parse_html(client.get("/search/?q=zanubrutinb+neutropena"))
    (hint,) = page.find_class("did-you-mean")
    assert seen(hint) == "Did you mean zanubrutinib neutropenia?"
    followed = parse_html(client.get("/search/" + hint.find("a").get("href")))
    assert seen(followed.get_element_by_id("results-heading")).startswith("1 result for")
    # A word only a draft holds is never suggested; a known word needs no suggestion.
    assert not parse_html(client.get("/search/?q=venetoclx")).find_class("did-you-mean")
    assert not parse_html(client.get("/search/?q=lymphoma+xyzzyq")).find_class("did-you-mean")


@postgres_only
def test_the_vocabulary_counts_every_stored_document_after_any_write():
    from articles.derived import verify

    article = make_article(title="Zoledronate dosing", body="<p>Renal dosing.</p>")
    other = make_article(title="Zoledronate in myeloma")
    article.title = "Denosumab dosing"
    article.save()
    other.delete()
    with connection.cursor() as cursor:
        cursor.execute("SELECT word, ndoc FROM articles_search_word WHERE word LIKE 'z%%'")
        assert cursor.fetchall() == []
        cursor.execute("SELECT ndoc FROM articles_search_word WHERE word = 'denosumab'")
        assert cursor.fetchone() == (1,)
    assert verify.drifts(only=["search_words"]) == []
    with connection.cursor() as cursor:
        cursor.execute("UPDATE articles_search_word SET ndoc = 7 WHERE word = 'denosumab'")
    assert [(d.row, d.stored, d.fresh) for d in verify.drifts(only=["search_words"])] == [
        ("denosumab", 7, 1)
    ]
    verify.drifts(only=["search_words"], repair=True)
    assert verify.drifts(only=["search_words"]) == []
