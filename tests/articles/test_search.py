"""Search: ranked full-text on PostgreSQL, a correct simpler fallback on SQLite."""

import pytest
from django.db import connection
from django.utils import timezone

from articles.models import Article, ArticleTopic, Authorship
from articles.reader.search import search_articles, snippet
from tests.factories import make_article, make_author, make_section, make_topic

pytestmark = pytest.mark.django_db


@pytest.fixture
def corpus():
    lymphoma = make_topic("Lymphoma")
    case_reports = make_section("Case Reports")
    author = make_author(given_name="Donyika", family_name="Joseph", credentials="PharmD")
    return {
        "title": make_article(
            title="Pembrolizumab in triple-negative breast cancer",
            standfirst="Neoadjuvant therapy.",
            body="<p>Results of KEYNOTE-522.</p>",
        ),
        "body": make_article(
            title="A review of checkpoint inhibitors",
            body="<p>Among them, <strong>pembrolizumab</strong> is widely used.</p>",
        ),
        "author": make_article(
            title="HIV and chemotherapy", authors=[author], body="<p>Antiretrovirals.</p>"
        ),
        "topic": make_article(title="Rituximab outcomes", topics=[lymphoma], section=case_reports),
        "old": make_article(
            title="Pembrolizumab in 2019",
            published_at=timezone.now().replace(year=2019),
        ),
        "lymphoma": lymphoma,
        "case_reports": case_reports,
    }


def titles(results):
    return [a.title for a in results]


def test_title_matches_rank_above_body_matches(corpus):
    found = titles(search_articles("pembrolizumab"))
    assert found.index(corpus["title"].title) < found.index(corpus["body"].title)


def test_all_words_must_match(corpus):
    assert titles(search_articles("pembrolizumab breast")) == [corpus["title"].title]


def test_search_by_author_name_and_topic(corpus):
    assert titles(search_articles("Joseph")) == [corpus["author"].title]
    assert titles(search_articles("lymphoma")) == [corpus["topic"].title]


def test_each_word_may_match_a_different_field(corpus):
    """An author's name and a word of the text, or a title word and a topic."""
    assert titles(search_articles("Joseph antiretrovirals")) == [corpus["author"].title]
    assert titles(search_articles("rituximab lymphoma")) == ["Rituximab outcomes"]
    assert titles(search_articles("Joseph rituximab")) == []
    assert titles(search_articles("Joseph and the antiretrovirals")) == [corpus["author"].title]
    assert titles(search_articles("the and with")) == []


def test_filters_by_topic_section_and_year(corpus):
    assert titles(search_articles("rituximab", topic=corpus["lymphoma"])) == ["Rituximab outcomes"]
    assert titles(search_articles("pembrolizumab", topic=corpus["lymphoma"])) == []
    assert titles(search_articles("rituximab", section=corpus["case_reports"])) == [
        "Rituximab outcomes"
    ]
    assert titles(search_articles("pembrolizumab", year=2019)) == ["Pembrolizumab in 2019"]


def test_empty_and_nonsense_queries_find_nothing(corpus):
    for query in ("", "   ", "%%%", "<script>", "'; DROP TABLE articles_article; --"):
        assert list(search_articles(query)) == [], query


def test_a_filter_without_words_lists_its_articles_newest_first(corpus):
    make_article(
        title="Older lymphoma",
        topics=[corpus["lymphoma"]],
        published_at=timezone.now().replace(year=2020),
    )
    assert titles(search_articles("", topic=corpus["lymphoma"])) == [
        "Rituximab outcomes",
        "Older lymphoma",
    ]
    assert titles(search_articles("%%", year=2019)) == ["Pembrolizumab in 2019"]


def test_search_page_browses_a_topic_without_words(client, corpus):
    html = client.get("/search/?topic=lymphoma").content.decode()
    assert "1 result</h2>" in html and "Rituximab outcomes" in html
    html = client.get("/search/?q=%25%25&section=case-reports").content.decode()
    assert "1 result</h2>" in html and "Rituximab outcomes" in html
    html = client.get("/search/?topic=lymphoma&year=2019").content.decode()
    assert "No results</h2>" in html


def test_unmatched_words_find_nothing(corpus):
    assert list(search_articles("xylophonequartz")) == []


def test_snippet_marks_words_and_escapes_html(corpus):
    article = make_article(
        title="Escaping", body="<p>Dose &lt;script&gt; pembrolizumab &amp; more</p>"
    )
    result = next(a for a in search_articles("pembrolizumab") if a.pk == article.pk)
    text = snippet(result, "pembrolizumab")
    assert "<mark>pembrolizumab</mark>" in text.lower()
    assert "<script>" not in text


def test_search_page_shows_ranked_results_with_snippets(client, corpus):
    html = client.get("/search/?q=pembrolizumab").content.decode()
    assert "results for “pembrolizumab”" in html
    assert html.index(corpus["title"].title) < html.index(corpus["body"].title)
    assert "<mark>" in html.lower()


def test_search_page_handles_empty_nonsense_and_bad_filters(client, corpus):
    assert "No search words" in client.get("/search/?q=%25%25").content.decode()
    assert "No results" in client.get("/search/?q=xylophonequartz").content.decode()
    response = client.get("/search/?q=x&year=abc&topic=nope")
    assert response.status_code == 200
    assert "check the search options" in response.content.decode()
    assert "<li>Year: Select a valid choice. abc is not one" in response.content.decode()
    assert "* year" not in response.content.decode()
    assert client.get("/search/").status_code == 200
    long = client.get("/search/?q=" + "a" * 5000)
    assert long.status_code == 200


def test_search_page_is_not_indexed(client, corpus):
    html = client.get("/search/?q=pembrolizumab").content.decode()
    assert '<meta name="robots" content="noindex, nofollow">' in html


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL full-text search")
def test_postgres_uses_stemming_and_the_document_index(corpus):
    assert titles(search_articles("antiretroviral")) == [corpus["author"].title]
    sql = "SELECT article_id FROM articles_search WHERE document @@ to_tsquery('pembrolizumab')"
    params = []
    with connection.cursor() as cursor:
        # Tiny test tables favour other plans; forbid them to see whether the index applies.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    # GIN (a bitmap scan), or RUM where the server has it (migration 0034: either scan).
    assert "articles_search_document_idx" in plan, plan


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL full-text search")
def test_postgres_websearch_syntax(corpus):
    assert corpus["body"].title not in titles(search_articles("pembrolizumab -checkpoint"))
    assert titles(search_articles('"triple-negative breast"')) == [corpus["title"].title]


postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the stored search document is PostgreSQL's"
)


@postgres_only
def test_renaming_an_author_updates_the_search_document(corpus):
    author = corpus["author"].authors.get()
    author.family_name = "Josephine"
    author.save()
    assert titles(search_articles("Josephine")) == [corpus["author"].title]
    assert titles(search_articles("Joseph")) == []


@postgres_only
def test_crediting_and_uncrediting_an_author_updates_the_search_document(corpus):
    author = make_author(given_name="Ada", family_name="Lovelacey")
    link = Authorship.objects.create(article=corpus["title"], author=author, position=2)
    assert titles(search_articles("Lovelacey")) == [corpus["title"].title]
    link.delete()
    assert titles(search_articles("Lovelacey")) == []


@postgres_only
def test_topics_renamed_added_and_removed_update_the_search_document(corpus):
    lymphoma = corpus["lymphoma"]
    lymphoma.name = "Hodgkin Lymphoma"
    lymphoma.save()
    assert titles(search_articles("Hodgkin")) == [corpus["topic"].title]
    corpus["title"].topics.add(lymphoma)
    assert set(titles(search_articles("Hodgkin"))) == {
        corpus["topic"].title,
        corpus["title"].title,
    }
    ArticleTopic.objects.filter(article=corpus["topic"]).delete()
    assert titles(search_articles("Hodgkin")) == [corpus["title"].title]


@postgres_only
def test_editing_the_text_updates_the_search_document(corpus):
    article = corpus["body"]
    article.body = "<p>Nothing about that drug any more; nivolumab instead.</p>"
    article.save()
    assert article.title not in titles(search_articles("pembrolizumab"))
    assert titles(search_articles("nivolumab")) == [article.title]


@postgres_only
def test_every_match_is_ranked_however_old(corpus):
    # Three articles match; the oldest, with the word in its title, ranks with the best.
    found = titles(search_articles("pembrolizumab"))
    assert found[:2] == [corpus["title"].title, corpus["old"].title]
    assert found[2] == corpus["body"].title


def test_the_search_page_names_each_search_landmark(client, corpus):
    """axe landmark-unique: the header's search box and the page's search form differ."""
    from lxml import html

    page = html.fromstring(client.get("/search/?q=cancer").content)
    names = [form.get("aria-label") for form in page.xpath('//*[@role="search"]')]
    assert len(names) == 2
    assert all(names) and len(set(names)) == 2


@postgres_only
def test_publishing_withdrawing_moving_and_deleting_update_the_search_table(corpus):
    """The publish fields the search filters on are mirrored from the article by trigger."""
    from tests.factories import make_issue

    article = corpus["body"]
    Article.objects.filter(pk=article.pk).update(status=Article.Status.DRAFT)
    assert article.title not in titles(search_articles("pembrolizumab"))
    Article.objects.filter(pk=article.pk).update(status=Article.Status.PUBLISHED)
    assert article.title in titles(search_articles("pembrolizumab"))
    article.published_at = timezone.now() + timezone.timedelta(days=1)
    article.save()
    assert article.title not in titles(search_articles("pembrolizumab"))
    article.published_at = timezone.now() - timezone.timedelta(days=1)
    article.issue = make_issue(status=Article.Status.DRAFT)
    article.save()
    assert article.title not in titles(search_articles("pembrolizumab"))
    article.issue.status = Article.Status.PUBLISHED
    article.issue.save()
    assert article.title in titles(search_articles("pembrolizumab"))
    assert titles(search_articles("pembrolizumab", section=corpus["case_reports"])) == []
    article.section = corpus["case_reports"]
    article.save()
    assert titles(search_articles("pembrolizumab", section=corpus["case_reports"])) == [
        article.title
    ]
    article.delete()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM articles_search WHERE article_id = %s", [article.pk])
        assert cursor.fetchone() == (0,)
    assert article.title not in titles(search_articles("pembrolizumab"))


@postgres_only
def test_pages_of_ranked_results_come_from_one_ranked_window(client, corpus, monkeypatch):
    """Each page is cut from the same ranked list; its total and headlines come with it, and
    a page past the end shows the last one."""
    from articles.reader import views

    for n in range(5):
        make_article(title=f"Dosing note {n}", body="<p>Zoledronate dosing.</p>")
    make_article(title="Zoledronate in the title", body="<p>Nothing else.</p>")
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    ranked = titles(search_articles("zoledronate"))
    assert ranked[0] == "Zoledronate in the title" and len(ranked) == 6
    shown = []
    for number in (1, 2, 3):
        html = client.get(f"/search/?q=zoledronate&page={number}").content.decode()
        assert "6 results for" in html
        assert "<mark>Zoledronate</mark>" in html
        shown += [title for title in ranked if f">{title}</a>" in html]
    assert shown == ranked
    last = client.get("/search/?q=zoledronate&page=99").content.decode()
    assert "Page 3 of 3" in last and f">{ranked[-1]}</a>" in last


@postgres_only
def test_the_headline_marks_words_of_the_standfirst_too(client, corpus):
    make_article(
        title="Adherence", standfirst="Oral oncolytics at home.", body="<p>Pharmacists help.</p>"
    )
    html = client.get("/search/?q=oncolytics").content.decode()
    assert "<mark>oncolytics</mark>" in html


def test_the_year_choices_span_the_published_articles(client, corpus):
    make_article(
        title="Draft from 2015",
        status=Article.Status.DRAFT,
        published_at=timezone.now().replace(year=2015),
    )
    html = client.get("/search/").content.decode()
    this_year = timezone.localtime().year
    assert f'<option value="{this_year}">' in html
    assert '<option value="2019">' in html
    assert '<option value="2018">' not in html and '<option value="2015">' not in html


def test_the_form_marks_the_chosen_options_and_escapes_their_names(client, corpus):
    make_topic("Cells & <Genes>")
    html = client.get("/search/?q=rituximab&topic=lymphoma&year=2019").content.decode()
    assert '<option value="lymphoma" selected>Lymphoma</option>' in html
    assert '<option value="2019" selected>2019</option>' in html
    assert '<option value="" selected>All sections</option>' in html
    assert '<option value="" selected>Relevance</option>' in html
    assert '<option value="" selected>Any type</option>' in html
    assert html.count(" selected>") == 5
    assert ">Cells &amp; &lt;Genes&gt;</option>" in html


def test_a_phrase_never_spans_two_fields_topics_or_authors():
    """The topics "Ovarian Cancer" and "Breast Cancer" do not make the phrase "cancer
    breast"; nor does a title's last word and the standfirst's first, or two authors."""
    tagged = make_article(
        title="Screening outcomes in cancer",
        standfirst="Breast imaging after treatment.",
        body="<p>Mammography and ultrasound.</p>",
        topics=[make_topic("Ovarian Cancer"), make_topic("Breast Cancer")],
        authors=[
            make_author(given_name="Ana", family_name="Okafor"),
            make_author(given_name="Lee", family_name="Marsh"),
        ],
    )
    prose = make_article(title="Notes", body="<p>Ovarian cancer breast imaging overlap.</p>")
    assert titles(search_articles('"cancer breast"')) == [prose.title]
    assert titles(search_articles('"cancer breast imaging"')) == [prose.title]
    assert titles(search_articles('"okafor lee"')) == []
    # Within one part, a phrase still matches: a topic's name, an author's, the standfirst.
    assert titles(search_articles('"breast cancer"')) == [tagged.title]
    assert titles(search_articles('"ana okafor"')) == [tagged.title]
    assert titles(search_articles('"lee marsh"')) == [tagged.title]
    assert titles(search_articles('"breast imaging"')) == [tagged.title, prose.title]
    assert sorted(titles(search_articles("cancer breast"))) == sorted([tagged.title, prose.title])
