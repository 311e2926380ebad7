"""Search answers exactly: every published article that matches, counted, ranked over all
of them (articles.reader.search: RankedSearch, FilteredList), checked against a brute-force
reference over every article."""

import random
from datetime import datetime, timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from articles.models import Article
from articles.reader.search import postgres, search_articles
from tests.factories import make_article, make_author, make_issue, make_section, make_topic

pytestmark = pytest.mark.django_db

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the stored search table and its ranking are PostgreSQL's (the SQLite fallback "
    "has no ranking to check against a reference)",
)


def titles(results):
    return [a.title for a in results]


def days_ago(n):
    return timezone.now() - timedelta(days=n)


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
    from articles.reader import views

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


# PostgreSQL: phrases, exclusions and common words, over the whole archive -------------


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
def test_the_oldest_match_is_found_and_the_best_ranks_first(client, adjacent):
    """No bound on age: an old phrase match is found, and an old title match outranks newer
    body matches; the count is exact."""
    make_article(title="Zoledronate at last", published_at=days_ago(3000))
    results = search_articles("zoledronate")
    assert len(results) == 5
    assert titles(results)[0] == "Zoledronate at last"
    html = client.get("/search/?q=zoledronate").content.decode()
    assert "5 results for “zoledronate”" in html and "newest" not in html
    html = client.get('/search/?q="zoledronate+dosing"').content.decode()
    assert "1 result for “&quot;zoledronate dosing&quot;”" in html


@postgres_only
def test_exclusions_alone_list_every_article_without_the_words(client, adjacent):
    make_article(title="Unrelated", body="<p>Nothing of the kind.</p>", published_at=days_ago(2))
    make_article(title="Ancient", body="<p>Nothing either.</p>", published_at=days_ago(5000))
    assert titles(search_articles("-zoledronate")) == ["Unrelated", "Ancient"]
    assert titles(search_articles("-zoledronate -nothing")) == []
    assert titles(search_articles("-renal")) == [
        "Apart 0",
        "Unrelated",
        "Apart 1",
        "Apart 2",
        "Ancient",
    ]
    html = client.get("/search/?q=-renal").content.decode()
    assert "5 results for “-renal”" in html


@postgres_only
def test_filtered_searches_find_what_the_topic_holds(adjacent):
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


@postgres_only
def test_equal_scores_come_newest_first_on_every_page(monkeypatch, client):
    """Twelve articles score the same: every page shows its place in the newest-first order."""
    from articles.reader import views

    made = [
        make_article(title=f"Twin {n}", body="<p>Same words.</p>", published_at=days_ago(n + 1))
        for n in range(12)
    ]
    best = make_article(title="Twin words", standfirst="Twin", published_at=days_ago(99))
    expected = [best.title] + [a.title for a in made]
    monkeypatch.setattr(views, "PAGE_SIZE", 5)
    assert titles(search_articles("twin")) == expected
    shown = []
    for number in (1, 2, 3):
        html = client.get(f"/search/?q=twin&page={number}").content.decode()
        assert "13 results for “twin”" in html
        shown += sorted((html.index(f">{t}</a>"), t) for t in expected if f">{t}</a>" in html)
    assert [t for _, t in shown] == expected


# Against a brute-force reference ---------------------------------------------------------

WORDS = [
    "cancer",
    "breast",
    "lymphoma",
    "neutropenia",
    "zanubrutinib",
    "rituximab",
    "dosing",
    "renal",
    "toxicity",
    "survival",
    "trial",
    "pharmacist",
    "oral",
    "therapy",
    "myeloma",
    "infusion",
    "adherence",
    "tumor",
    "lysis",
    "syndrome",
    "stem",
    "cell",
    "transplant",
    "fever",
    "infection",
]
QUERIES = [
    "cancer",
    "-cancer -breast",
    '-"breast cancer"',
    "-lymphoma or -myeloma",
    "breast cancer",
    '"breast cancer"',
    '"cancer breast"',
    "zanubrutinib",
    "-cancer",
    '"breast cancer" -lymphoma',
    "lymphoma or myeloma",
    "cancer -breast",
    '"tumor lysis syndrome"',
    "rituximab dosing or toxicity",
    "okafor",
    '"ana okafor"',
    "Okafor A",
    "A Okafor -renal",
    "renal -dosing -trial",
]


@pytest.fixture
def archive():
    """Eighty articles of random clinical words, with authors, topics, sections and dates,
    some of them not live (drafts, scheduled, in an unpublished issue)."""
    rng = random.Random(19)
    topics = [make_topic(name) for name in ("Breast Cancer", "Ovarian Cancer", "Lymphoma")]
    sections = [make_section("Original Article"), make_section("News")]
    authors = [
        make_author(given_name=given, family_name=family)
        for given, family in (("Ana", "Okafor"), ("Lee", "Marsh"), ("Okafor", "Lind"))
    ]
    draft_issue = make_issue(status=Article.Status.DRAFT)

    def text(n):
        return " ".join(rng.choice(WORDS) for _ in range(n))

    for n in range(80):
        state = {}
        if n % 17 == 3:
            state = {"status": Article.Status.DRAFT}
        elif n % 19 == 5:
            state = {"published_at": timezone.now() + timedelta(days=3)}
        elif n % 23 == 7:
            state = {"issue": draft_issue}
        make_article(
            title=text(rng.randint(2, 6)).capitalize(),
            standfirst=text(rng.randint(0, 12)),
            body=f"<p>{text(rng.randint(5, 60))}</p>",
            topics=rng.sample(topics, rng.randint(0, 2)),
            authors=rng.sample(authors, rng.randint(0, 2)),
            section=rng.choice(sections),
            published_at=state.get("published_at") or days_ago(rng.randint(1, 3000)),
            **{k: v for k, v in state.items() if k != "published_at"},
        )
    return {"topic": topics[0], "section": sections[1]}


REFERENCE_SQL = """
SELECT s.article_id FROM articles_search s
WHERE s.article_id = ANY(%(ids)s)
  AND s.document @@ websearch_to_tsquery(%(config)s::regconfig, %(query)s)
ORDER BY {best}, s.published_at DESC, s.article_id DESC
"""
REFERENCE_RUM = "s.document <=> websearch_to_tsquery(%(config)s::regconfig, %(query)s) ASC"
REFERENCE_TS_RANK = (
    "ts_rank(%(weights)s::float4[], s.document,"
    " websearch_to_tsquery(%(config)s::regconfig, %(query)s)) DESC"
)


def reference(query, *, topic=None, section=None, year=None, by_rum=None):
    """Every live article's stored document matched with websearch_to_tsquery and scored by
    the site's ranking, one by one (no index), best first, ties newest first: RUM's score
    (`document <=> query`, its inverse) where the documents' index is RUM, else ts_rank."""
    live = Article.objects.published()
    if topic is not None:
        live = live.filter(topics=topic)
    if section is not None:
        live = live.filter(section=section)
    if year is not None:
        live = live.filter(published_at__year=year)
    ids = list(live.values_list("pk", flat=True))
    if by_rum is None:
        by_rum = postgres.ranking_by_rum()
    sql = REFERENCE_SQL.format(best=REFERENCE_RUM if by_rum else REFERENCE_TS_RANK)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute(
            sql,
            {"ids": ids, "config": postgres.CONFIG, "query": query, "weights": postgres.WEIGHTS},
        )
        return [row[0] for row in cursor.fetchall()]


@postgres_only
@pytest.mark.parametrize("by_rum", [True, False], ids=["RUM", "GIN"])
def test_every_query_form_equals_the_brute_force_reference(archive, by_rum, monkeypatch):
    """With the RUM index (ranked by RUM's score, read in the index's order), and without
    it (ranked by ts_rank over every match), as a server without the extension would."""
    if by_rum and not postgres.ranking_by_rum():
        pytest.skip("this PostgreSQL has no rum extension")
    monkeypatch.setattr(postgres, "ranking_by_rum", lambda: by_rum)
    year = Article.objects.published().latest("published_at").published_at.year
    filters = [{}, {"topic": archive["topic"]}, {"section": archive["section"]}, {"year": year}]
    filters.append({"topic": archive["topic"], "section": archive["section"]})
    checked = 0
    for query in QUERIES:
        for chosen in filters:
            expected = reference(query, by_rum=by_rum, **chosen)
            results = search_articles(query, **chosen)
            assert len(results) == len(expected), (query, chosen)
            assert [a.pk for a in results[:20]] == expected[:20], (query, chosen)
            if len(expected) > 20:
                assert [a.pk for a in results[20:40]] == expected[20:40], (query, chosen)
            for start in (7, 33):  # pages that start and end anywhere, ties included
                assert [a.pk for a in results[start : start + 9]] == (
                    expected[start : start + 9]
                ), (query, chosen, start)
            checked += bool(expected)
    assert checked > len(QUERIES) * 2  # most forms match something


@postgres_only
def test_without_the_rum_index_the_check_warns():
    from articles.checks import search_ranked_by_index

    if not postgres.ranking_by_rum():
        pytest.skip("this PostgreSQL has no rum extension")
    assert search_ranked_by_index(None) == []
    with connection.cursor() as cursor:  # undone with the test's transaction
        cursor.execute("DROP INDEX articles_search_document_idx")
        cursor.execute(
            "CREATE INDEX articles_search_document_idx ON articles_search USING gin (document)"
        )
    assert [w.id for w in search_ranked_by_index(None)] == ["articles.W001"]


@postgres_only
def test_the_ranking_weighs_title_standfirst_body_then_names():
    make_article(title="Names", authors=[make_author(given_name="Ana", family_name="Cisplatin")])
    make_article(title="Body", body="<p>Cisplatin given.</p>")
    make_article(title="Standfirst", standfirst="Cisplatin given.")
    make_article(title="Cisplatin in the title")
    expected = ["Cisplatin in the title", "Standfirst", "Body", "Names"]
    assert titles(search_articles("cisplatin")) == expected


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
