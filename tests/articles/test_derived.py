"""Derived copies (articles.derived): raw writes keep them, check_derived finds and repairs
what a write around the ORM left stale, and every record's datestamp moves with what it
shows, so incremental OAI-PMH harvests see every edit."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone
from lxml import etree

from articles import services
from articles.derived import cards, verify, writes
from articles.models import Article, ArticleTopic, Author, Authorship, RankedRelated, Topic
from articles.scholarly import oai
from articles.tasks import check_derived
from tests.factories import (
    make_article,
    make_author,
    make_issue,
    make_journal,
    make_section,
    make_topic,
)

pytestmark = pytest.mark.django_db
NS = {"o": oai.OAI_NS}


@pytest.fixture
def linked():
    author = make_author(given_name="Meg", family_name="Barbor", credentials="MPH")
    topic = make_topic("Breast Cancer")
    draft = make_article(title="Draft", status=Article.Status.DRAFT)
    live = make_article(title="Live", authors=[author], topics=[topic])
    return {"author": author, "topic": topic, "draft": draft, "live": live}


def stored(article, *fields):
    return Article.objects.filter(pk=article.pk).values_list(*fields).get()


def test_raw_author_and_topic_renames_reach_every_copy(linked):
    Author.objects.filter(pk=linked["author"].pk).update(family_name="Smith")
    Topic.objects.filter(pk=linked["topic"].pk).update(name="Anemia")
    assert stored(linked["live"], "byline", "topics_line") == ("Meg Smith, MPH", "Anemia")
    assert verify.drifts() == []


def test_bulk_created_links_reach_bylines_counts_and_related_lists(linked):
    Authorship.objects.bulk_create([Authorship(article=linked["draft"], author=linked["author"])])
    ArticleTopic.objects.bulk_create([ArticleTopic(article=linked["draft"], topic=linked["topic"])])
    assert stored(linked["draft"], "byline") == ("Meg Barbor, MPH",)
    Article.objects.filter(pk=linked["draft"].pk).update(status=Article.Status.PUBLISHED)
    linked["topic"].refresh_from_db()
    assert linked["topic"].published_count == 2
    assert RankedRelated.objects.filter(
        article=linked["live"], related=linked["draft"], shared=1
    ).exists()
    assert verify.drifts() == []


def test_a_raw_body_update_renders_the_body_again(linked):
    Article.objects.filter(pk=linked["live"].pk).update(body="<p>Dose [1].</p>")
    (html,) = stored(linked["live"], "body_html")
    assert 'href="#ref-1"' in html
    assert verify.drifts() == []


def test_check_derived_reports_each_drift_and_repairs_it(linked):
    # SQL in a shell: the hub does not see it.
    with writes.suspended():
        Author.objects.filter(pk=linked["author"].pk).update(family_name="Smith")
        Topic.objects.filter(pk=linked["topic"].pk).update(published_count=7)
        RankedRelated.objects.filter(article=linked["draft"]).delete()
    out = StringIO()
    with pytest.raises(CommandError, match="drifted values"):
        call_command("check_derived", stdout=out)
    report = out.getvalue()
    assert (
        f"Article.byline of row {linked['live'].pk}: stored 'Meg Barbor, MPH', "
        "fresh 'Meg Smith, MPH'" in report
    )
    assert f"Topic.published_count of row {linked['topic'].pk}: stored 7, fresh 1" in report
    draft, live = linked["draft"].pk, linked["live"].pk
    assert f"RankedRelated of row {draft}: stored [], fresh [{live}]" in report
    out = StringIO()
    call_command("check_derived", "--repair", stdout=out)
    assert "Repaired" in out.getvalue()
    assert stored(linked["live"], "byline") == ("Meg Smith, MPH",)
    out = StringIO()
    call_command("check_derived", stdout=out)
    assert "No drift" in out.getvalue()


def test_the_daily_task_repairs_and_counts(linked):
    with writes.suspended():
        Article.objects.filter(pk=linked["live"].pk).update(byline="", topics_line="stale")
    result = check_derived.enqueue()
    assert result.return_value == {"Article.byline": 1, "Article.topics_line": 1}
    assert verify.drifts() == []
    assert cards.refresh() == 0


# Record datestamps --------------------------------------------------------------------


def _harvest(client, **params) -> etree._Element:
    response = client.get("/oai", {"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", **params})
    assert response.status_code == 200
    return etree.fromstring(response.content)


def _headers(doc) -> dict[str, str]:
    return {
        h.findtext("o:identifier", namespaces=NS): h.get("status", "live")
        for h in doc.iterfind(".//o:header", NS)
    }


@pytest.fixture
def archive():
    journal = make_journal(doi_prefix="10.32013", is_primary=True)
    other = make_journal(name="Other Journal", short_name="OJ", slug="other")
    first, second = make_issue(journal=journal), make_issue(journal=journal)
    elsewhere = make_issue(journal=other)
    s1, s2 = make_section("Original Article"), make_section("Case Reports")
    t1, t2 = make_topic("Breast Cancer"), make_topic("Anemia")
    a1, a2 = make_author(), make_author()
    articles = {
        "a1": make_article(issue=first, section=s1, topics=[t1], authors=[a1], references=["R."]),
        "a2": make_article(issue=second, section=s2, topics=[t2], authors=[a2]),
        "a3": make_article(issue=elsewhere, section=s1, topics=[t2], authors=[a1]),
        "a4": make_article(issue=second, section=s2, topics=[t1], authors=[a2]),
    }
    rows = {"journal": other, "issue": first, "section": s2, "topic": t2, "author": a1}
    return {**articles, **rows}


def _edit(archive, what):
    if what == "author affiliation":
        archive["author"].affiliation = "Dana-Farber Cancer Institute"
        archive["author"].save()
    elif what == "issue number":
        archive["issue"].number = 99
        archive["issue"].save()
    elif what == "topic name":
        archive["topic"].name = "Hematology"
        archive["topic"].save()
    elif what == "reference PMID":
        reference = archive["a1"].references.get()
        reference.pmid = "12345678"
        reference.save()
    elif what == "section name":
        archive["section"].name = "Case Report"
        archive["section"].save()
    elif what == "topic deleted":
        archive["topic"].delete()
    elif what == "journal name":
        archive["journal"].name = "Another Journal"
        archive["journal"].save()


@pytest.mark.parametrize(
    ("what", "changed"),
    [
        ("author affiliation", {"a1", "a3"}),
        ("issue number", {"a1"}),
        ("topic name", {"a2", "a3"}),
        ("reference PMID", {"a1"}),
        ("section name", {"a2", "a4"}),
        ("journal name", {"a3"}),
        ("topic deleted", {"a2", "a3"}),
    ],
)
def test_an_incremental_harvest_returns_exactly_the_records_an_edit_changed(
    client, archive, what, changed
):
    # Every record last changed an hour ago (a writer dating records is believed).
    Article.objects.update(record_modified_at=timezone.now() - timedelta(hours=1))
    before = timezone.now().replace(microsecond=0)
    _edit(archive, what)
    doc = _harvest(client, **{"from": before.strftime("%Y-%m-%dT%H:%M:%SZ")})
    assert set(_headers(doc)) == {oai.identifier_of(archive[name].pk) for name in changed}


@pytest.mark.parametrize("how", ["save", "raw update", "unpublish service", "issue taken back"])
def test_an_article_withdrawn_during_a_paged_harvest_is_deleted_in_the_next(
    client, monkeypatch, how
):
    monkeypatch.setattr(oai, "PAGE_SIZE", 1)
    issue = make_issue()
    # Imported: live, with no first publication recorded.
    articles = [make_article(issue=issue) for _ in range(3)]
    assert not any(a.first_published_at for a in articles)
    first_page = _harvest(client)
    started = first_page.findtext("o:responseDate", namespaces=NS)
    token = first_page.findtext(".//o:resumptionToken", namespaces=NS)
    withdrawn = articles[-1]
    if how == "save":
        withdrawn.status = Article.Status.DRAFT
        withdrawn.save()
    elif how == "raw update":
        Article.objects.filter(pk=withdrawn.pk).update(status=Article.Status.DRAFT)
    elif how == "unpublish service":
        services.unpublish(objects=Article.objects.filter(pk=withdrawn.pk), user=None)
    else:
        issue.status = issue.Status.DRAFT
        issue.save()
    while token:
        page = client.get("/oai", {"verb": "ListIdentifiers", "resumptionToken": token})
        token = etree.fromstring(page.content).findtext(".//o:resumptionToken", namespaces=NS)
    headers = {}
    next_page = _harvest(client, **{"from": started})
    while True:
        headers.update(_headers(next_page))
        token = next_page.findtext(".//o:resumptionToken", namespaces=NS)
        if not token:
            break
        response = client.get("/oai", {"verb": "ListIdentifiers", "resumptionToken": token})
        next_page = etree.fromstring(response.content)
    assert headers[oai.identifier_of(withdrawn.pk)] == "deleted"


def test_feeds_sitemaps_json_ld_and_jats_carry_the_record_date(client, archive):
    Article.objects.update(record_modified_at=timezone.now() - timedelta(days=3))
    _edit(archive, "author affiliation")
    article = Article.objects.get(pk=archive["a1"].pk)
    day = timezone.localtime(article.record_modified_at).date().isoformat()
    assert article.record_modified_at > timezone.now() - timedelta(minutes=1)
    jats = client.get(f"/articles/{article.slug}/jats.xml")
    assert f'iso-8601-date="{day}"' in jats.text
    assert jats["Last-Modified"]
    sitemap = client.get("/sitemap-articles.xml")
    if sitemap.status_code == 404:
        sitemap = client.get("/sitemap.xml")
    assert f"<lastmod>{day}</lastmod>" in sitemap.text
    page = client.get(article.get_absolute_url())
    assert f'"dateModified": "{article.record_modified_at.isoformat()}"' in page.text


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the search table is PostgreSQL's")
def test_check_derived_finds_and_repairs_a_stale_search_row(linked):
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE articles_search SET document = to_tsvector('english', 'stale') "
            "WHERE article_id = %s",
            [linked["live"].pk],
        )
        cursor.execute("DELETE FROM articles_search WHERE article_id = %s", [linked["draft"].pk])
    assert {(d.copy, d.row, d.stored) for d in verify.drifts(only=["search"])} == {
        ("articles_search", linked["live"].pk, "stale"),
        ("articles_search", linked["draft"].pk, "missing"),
    }
    verify.drifts(only=["search"], repair=True)
    assert verify.drifts() == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the set-based check is SQL")
def test_the_set_based_card_check_names_exactly_the_drifted_articles(linked):
    """On PostgreSQL one query finds the articles whose lines differ; it agrees with
    stored_values() on bylines with and without credentials, a given name left empty,
    topics in the editors' order and articles without links."""
    coauthor = make_author(given_name="", family_name="Roe", credentials="")
    other = make_article(
        title="Two",
        authors=[coauthor, linked["author"]],
        topics=[make_topic("Anemia"), linked["topic"]],
    )
    assert stored(other, "byline", "topics_line") == (
        "Roe, Meg Barbor, MPH",
        "Anemia, Breast Cancer",
    )
    assert cards.differing() == []
    with writes.suspended():
        Author.objects.filter(pk=coauthor.pk).update(affiliation="Moffitt Cancer Center")
    assert cards.differing() == [other.pk]
    assert [d.copy for d in verify.drifts(only=["cards"])] == ["Article.authors_data"]
