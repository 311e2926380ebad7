"""Search forms whose cost is bounded: a filter with no words, phrases, exclusions only, and
common words (articles.search: RANKED_AT_MOST, EXAMINED_AT_MOST, CANDIDATES_AT_MOST)."""

from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from articles import search, tsquery
from articles.models import Article
from articles.search import search_articles
from tests.factories import make_article, make_section, make_topic

pytestmark = pytest.mark.django_db

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the stored search table is PostgreSQL's"
)


def titles(results):
    return [a.title for a in results]


def days_ago(n):
    return timezone.now() - timedelta(days=n)


# The query's shape, as PostgreSQL prints websearch_to_tsquery -------------------------


@pytest.mark.django_db(False)
def test_the_shape_of_a_query():
    phrase = tsquery.parse("'cancer' <-> 'breast'")
    assert tsquery.is_checked(phrase) and tsquery.needs_a_word(phrase)
    assert tsquery.words_query(phrase) == "( 'cancer' ) & ( 'breast' )"

    mixed = tsquery.parse("'qualiti' <2> 'life' & !'cancer'")
    assert tsquery.is_checked(mixed) and tsquery.needs_a_word(mixed)
    assert tsquery.words_query(mixed) == "( ( 'qualiti' ) & ( 'life' ) )"

    for exclusions in ("!'cancer'", "!'cancer' & !'breast'", "'lymphoma' | !'cancer'"):
        tree = tsquery.parse(exclusions)
        assert not tsquery.needs_a_word(tree), exclusions
        assert tsquery.words_query(tree) is None, exclusions

    either = tsquery.parse("'b' <-> 'c' | 'd' & 'e'")
    assert tsquery.words_query(either) == "( ( 'b' ) & ( 'c' ) ) | ( ( 'd' ) & ( 'e' ) )"
    assert not tsquery.is_checked(tsquery.parse("'cdk4/6' & ( 'a' | 'b' )"))
    assert tsquery.is_checked(tsquery.parse("'lymphoma' & !'cancer'"))
    assert tsquery.parse("") is None and tsquery.needs_a_word(None)
    assert tsquery.words_query(tsquery.parse("'o''neil'")) == "'o''neil'"
    with pytest.raises(tsquery.Unreadable):
        tsquery.parse("'a' &")


# A filter with no words: newest first, an exact count, any page -------------------------


@pytest.fixture
def filtered():
    lymphoma, other = make_topic("Lymphoma"), make_topic("Leukemia")
    reports, news = make_section("Case Reports"), make_section("News")
    made = []
    for n in range(7):
        made.append(
            make_article(
                title=f"Lymphoma {n}",
                topics=[lymphoma] if n % 2 == 0 else [lymphoma, other],
                section=reports if n < 5 else news,
                published_at=timezone.make_aware(datetime(2024 if n < 4 else 2023, 6, 28 - n)),
            )
        )
    leukemia = make_article(title="Leukemia only", topics=[other], section=reports)
    make_article(title="Lymphoma draft", topics=[lymphoma], status=Article.Status.DRAFT)
    return {"lymphoma": lymphoma, "reports": reports, "made": made, "leukemia": leukemia}


def newest_first(articles):
    return [a.title for a in sorted(articles, key=lambda a: a.published_at, reverse=True)]


def test_a_filter_alone_lists_its_live_articles_newest_first(filtered):
    made, lymphoma = filtered["made"], filtered["lymphoma"]
    lymphoma.refresh_from_db()  # the stored count, as the search form reads it
    assert titles(search_articles("", topic=lymphoma)) == newest_first(made)
    reports = newest_first([*made[:5], filtered["leukemia"]])
    assert titles(search_articles("", section=filtered["reports"])) == reports
    in_2023 = [a for a in made if a.published_at.year == 2023]
    assert titles(search_articles("", topic=lymphoma, year=2023)) == newest_first(in_2023)
    both = [a for a in made[:5] if a.published_at.year == 2024]
    assert titles(search_articles("", section=filtered["reports"], year=2024)) == (
        newest_first(both)
    )


def test_every_page_of_a_filter_alone_comes_in_order_with_its_count(client, filtered, monkeypatch):
    """Pages past the middle are read from the other end; each shows what its place in the
    newest-first list holds, and the count is exact."""
    from articles import views

    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    expected = newest_first(filtered["made"])
    for query in ("topic=lymphoma", "topic=lymphoma&section=case-reports"):
        wanted = expected if "section" not in query else newest_first(filtered["made"][:5])
        shown = []
        for number in range(1, (len(wanted) + 1) // 2 + 1):
            html = client.get(f"/search/?{query}&page={number}").content.decode()
            assert f"{len(wanted)} results</h2>" in html, query
            shown += sorted(
                (html.index(f">{title}</a>"), title) for title in wanted if f">{title}</a>" in html
            )
        assert [title for _, title in shown] == wanted, query
    assert "Lymphoma draft" not in client.get("/search/?topic=lymphoma").content.decode()


# PostgreSQL: phrases, exclusions and common words ----------------------------------------


@pytest.fixture
def adjacent():
    """Articles with "zoledronate" and "dosing" both, side by side in one (the oldest)."""
    near = make_article(
        title="Old note",
        body="<p>Renal zoledronate dosing in myeloma.</p>",
        published_at=days_ago(400),
    )
    apart = [
        make_article(
            title=f"Apart {n}",
            body="<p>Dosing matters; zoledronate too.</p>",
            published_at=days_ago(n + 1),
        )
        for n in range(3)
    ]
    return {"near": near, "apart": apart}


@postgres_only
def test_a_phrase_finds_its_words_side_by_side_only(adjacent):
    assert titles(search_articles('"zoledronate dosing"')) == ["Old note"]
    assert titles(search_articles('"dosing zoledronate"')) == []
    assert len(search_articles("zoledronate dosing")) == 4


@postgres_only
def test_a_phrase_of_common_words_is_bounded_and_says_so(client, adjacent, monkeypatch):
    """Past the newest EXAMINED_AT_MOST articles, the articles with all the words are each
    checked only if there are at most CANDIDATES_AT_MOST of them; else the page says the
    search looked through the newest articles only."""
    monkeypatch.setattr(search, "EXAMINED_AT_MOST", 2)
    monkeypatch.setattr(search, "CANDIDATES_AT_MOST", 10)
    results = search_articles('"zoledronate dosing"')
    assert titles(results) == ["Old note"] and not results.bounded

    monkeypatch.setattr(search, "CANDIDATES_AT_MOST", 3)
    results = search_articles('"zoledronate dosing"')
    assert titles(results) == [] and results.bounded
    html = client.get('/search/?q="zoledronate+dosing"').content.decode()
    assert "No results for “&quot;zoledronate dosing&quot;” in the 2 newest articles" in html
    assert "looked for in the 2 newest articles, and in older ones only when few" in html

    # A phrase found often enough among the newest is not bounded: they are its newest.
    monkeypatch.setattr(search, "RANKED_AT_MOST", 1)
    results = search_articles('"dosing matters"')
    assert titles(results) == ["Apart 0"] and results.more and not results.bounded


@postgres_only
def test_exclusions_alone_list_the_newest_articles_without_the_words(client, adjacent, monkeypatch):
    make_article(title="Unrelated", body="<p>Nothing of the kind.</p>", published_at=days_ago(2))
    results = search_articles("-zoledronate")
    assert titles(results) == ["Unrelated"] and not results.bounded
    assert titles(search_articles("-zoledronate -nothing")) == []
    assert set(titles(search_articles("-renal"))) == {"Unrelated", "Apart 0", "Apart 1", "Apart 2"}

    monkeypatch.setattr(search, "EXAMINED_AT_MOST", 2)
    results = search_articles("-renal")
    assert titles(results) == ["Apart 0", "Unrelated"] and results.bounded
    html = client.get("/search/?q=-renal").content.decode()
    assert "2 results for “-renal” in the 2 newest articles" in html


@postgres_only
def test_more_matches_than_are_ranked_say_so(client, adjacent, monkeypatch):
    monkeypatch.setattr(search, "RANKED_AT_MOST", 2)
    results = search_articles("zoledronate")
    assert titles(results) == ["Apart 0", "Apart 1"] and results.more
    html = client.get("/search/?q=zoledronate").content.decode()
    assert "More than 2 results for “zoledronate”" in html
    assert "The 2 newest are listed, best first." in html
    html = client.get("/search/?q=renal").content.decode()
    assert "1 result for “renal”" in html and "newest are listed" not in html


@postgres_only
def test_filtered_searches_find_what_the_topic_holds(adjacent, monkeypatch):
    """A topic is read from the search table's topic_ids, which triggers keep: a topic
    added or taken off an article counts at once, for words, phrases and exclusions."""
    bones = make_topic("Bone health")
    old, recent = adjacent["near"], adjacent["apart"][0]
    old.topics.add(bones)
    recent.topics.add(bones)
    assert titles(search_articles("zoledronate", topic=bones)) == ["Apart 0", "Old note"]
    assert titles(search_articles('"zoledronate dosing"', topic=bones)) == ["Old note"]
    assert titles(search_articles("-renal", topic=bones)) == ["Apart 0"]
    assert titles(search_articles("", topic=bones)) == ["Apart 0", "Old note"]
    recent.topics.remove(bones)
    assert titles(search_articles("zoledronate", topic=bones)) == ["Old note"]
    assert titles(search_articles("-renal", topic=bones)) == []
    Article.objects.filter(pk=old.pk).update(status=Article.Status.DRAFT)
    assert titles(search_articles("zoledronate", topic=bones)) == []

    # With a topic, a phrase is looked for among the newest articles of the archive (the
    # topic's among them: here the two newest, which hold none), then, if few articles
    # hold its words (whatever their topic), in each of those.
    Article.objects.filter(pk=old.pk).update(status=Article.Status.PUBLISHED)
    monkeypatch.setattr(search, "TOPIC_EXAMINED_AT_MOST", 2)
    results = search_articles('"zoledronate dosing"', topic=bones)
    assert titles(results) == ["Old note"] and not results.bounded
    monkeypatch.setattr(search, "CANDIDATES_AT_MOST", 3)
    results = search_articles('"zoledronate dosing"', topic=bones)
    assert titles(results) == [] and results.bounded and results.window == 2


@postgres_only
def test_the_search_table_mirrors_each_articles_topics(adjacent):
    bones, kidneys = make_topic("Bone health"), make_topic("Kidneys")
    article = adjacent["near"]
    article.topics.set([kidneys, bones])

    def topic_ids():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT topic_ids FROM articles_search WHERE article_id = %s", [article.pk]
            )
            return cursor.fetchone()[0]

    assert topic_ids() == sorted([bones.pk, kidneys.pk])
    article.topics.remove(kidneys)
    assert topic_ids() == [bones.pk]
    article.title = "Renamed"
    article.save()
    assert topic_ids() == [bones.pk]
    article.topics.clear()
    assert topic_ids() == []
