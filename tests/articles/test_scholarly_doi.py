"""DOIs: assigned from the journal's pattern when first published, fixed afterwards."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from articles import services
from articles.models import Article
from tests.factories import make_article, make_issue, make_journal, make_section

pytestmark = pytest.mark.django_db


def _draft(**kw):
    return make_article(status=Article.Status.DRAFT, published_at=None, **kw)


def test_publishing_assigns_a_doi_from_the_journal_pattern():
    journal = make_journal(doi_prefix="10.32013")
    article = _draft(issue=make_issue(journal=journal))
    services.publish(objects=Article.objects.filter(pk=article.pk), user=None)
    article.refresh_from_db()
    assert article.doi == f"10.32013/jhop.{timezone.now().year}.{article.pk}"
    assert article.first_published_at == article.published_at


def test_custom_pattern_and_web_only_article_without_volume():
    journal = make_journal(doi_prefix="10.32013", doi_suffix_pattern="{journal}.v{volume}.{id}")
    article = _draft()  # web-only: the primary journal, no volume
    assert article.issue is None
    services.publish(objects=Article.objects.filter(pk=article.pk), user=None)
    article.refresh_from_db()
    assert journal.is_primary
    assert article.doi == f"10.32013/jhop.v.{article.pk}"


def test_a_typed_doi_is_kept_and_never_changes_after_publication():
    make_journal(doi_prefix="10.32013")
    article = _draft(doi="10.32013/typed-by-editor")
    services.publish(objects=Article.objects.filter(pk=article.pk), user=None)
    article.refresh_from_db()
    assert article.doi == "10.32013/typed-by-editor"
    services.unpublish(objects=Article.objects.filter(pk=article.pk), user=None)
    services.publish(objects=Article.objects.filter(pk=article.pk), user=None)
    article.refresh_from_db()
    assert article.doi == "10.32013/typed-by-editor"
    article.doi = "10.32013/something-else"
    with pytest.raises(ValidationError) as error:
        article.full_clean()
    assert "never changes" in str(error.value)


def test_a_draft_doi_may_still_be_edited():
    article = _draft(doi="10.32013/first")
    article.doi = "10.32013/second"
    article.full_clean()


def test_scheduled_article_gets_its_doi_when_scheduled():
    journal = make_journal(doi_prefix="10.32013")
    later = timezone.now() + timedelta(days=3)
    article = make_article(
        status=Article.Status.DRAFT, published_at=later, issue=make_issue(journal=journal)
    )
    result = services.publish(objects=Article.objects.filter(pk=article.pk), user=None)
    article.refresh_from_db()
    assert result.changed == 1
    assert article.doi.startswith("10.32013/jhop.")
    assert article.first_published_at == later


def test_no_prefix_no_doi():
    make_journal(doi_prefix="")
    article = _draft()
    services.publish(objects=Article.objects.filter(pk=article.pk), user=None)
    article.refresh_from_db()
    assert article.doi == ""
    assert article.status == Article.Status.PUBLISHED


def test_two_articles_cannot_share_a_doi():
    make_article(doi="10.32013/same")
    other = Article(title="Other", slug="other", doi="10.32013/same")
    with pytest.raises(ValidationError, match="already has this DOI"):
        other.full_clean()


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("{journal}.{year}", "Include {id} or {slug}"),
        ("{journal}.{month}.{id}", "Unknown part {month}"),
        ("jhop {id}", "Use only letters"),
    ],
)
def test_bad_suffix_patterns_are_refused(pattern, message):
    journal = make_journal(doi_prefix="10.32013", doi_suffix_pattern=pattern)
    with pytest.raises(ValidationError, match=message):
        journal.full_clean()


def test_doi_in_the_feeds(client):
    make_article(doi="10.32013/jhop.2022.77")
    rss = client.get("/feeds/rss/").content.decode()
    atom = client.get("/feeds/atom/").content.decode()
    assert "<dc:identifier>doi:10.32013/jhop.2022.77</dc:identifier>" in rss
    assert "<dc:identifier>doi:10.32013/jhop.2022.77</dc:identifier>" in atom


def test_an_article_type_that_is_not_citable_gets_no_doi():
    journal = make_journal(doi_prefix="10.32013")
    section = make_section("HOPA Highlights", is_citable=False)
    article = _draft(issue=make_issue(journal=journal), section=section)
    services.publish(objects=Article.objects.filter(pk=article.pk), user=None)
    article.refresh_from_db()
    assert article.status == Article.Status.PUBLISHED
    assert article.doi == ""


def test_a_typed_doi_is_refused_for_an_article_type_that_is_not_citable():
    section = make_section("HOPA Highlights", is_citable=False)
    article = _draft(section=section, doi="10.32013/typed.1")
    with pytest.raises(ValidationError) as raised:
        article.full_clean()
    assert raised.value.message_dict["doi"] == [
        "Articles in HOPA Highlights get no DOI (the section is not citable): leave the DOI "
        "empty, or make the section citable."
    ]
