"""The publish gate: nothing goes live with a Crossref or JATS record that does not validate."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from articles import services
from articles.models import Article, Issue, Reference
from articles.models.publishing import Visibility
from tests.factories import make_article, make_author, make_issue, make_journal

pytestmark = pytest.mark.django_db


def _draft_with_references(issue=None, **kw):
    article = make_article(
        status=Article.Status.DRAFT,
        published_at=None,
        issue=issue,
        references=["One. 2020.", "Two. 2021.", "Three. 2022."],
        body="<p>Cites [1-3].</p>",
        **kw,
    )
    return article


def _break_reference_3(article):
    # The admin's validator would refuse it; an import or an old row may still hold one.
    Reference.objects.filter(article=article, position=3).update(doi="10.1/not-a-doi")


def test_the_gate_refuses_a_broken_article_naming_the_failing_part():
    make_journal(doi_prefix="10.32013")
    article = _draft_with_references()
    _break_reference_3(article)
    result = services.publish(objects=Article.objects.filter(pk=article.pk), user=None)
    assert result.changed == 0
    assert len(result.refused) == 1
    message = result.refused[0]
    assert message.startswith(f"{article.title}: ")
    assert "Reference 3 has a DOI that is not well formed (10.1/not-a-doi)." in message
    article.refresh_from_db()
    assert article.status == Article.Status.DRAFT
    assert article.doi == ""  # the DOI is only given when it really is published
    assert "Reference 3 has a DOI that is not well formed" in article.export_problems


def test_a_valid_article_passes_and_its_state_is_recorded():
    make_journal(doi_prefix="10.32013")
    article = _draft_with_references()
    result = services.publish(objects=Article.objects.filter(pk=article.pk), user=None)
    assert result.refused == []
    article.refresh_from_db()
    assert article.status == Article.Status.PUBLISHED
    assert article.export_problems == ""
    assert article.export_checked_at is not None


def test_an_author_name_crossref_refuses_is_named():
    make_journal(doi_prefix="10.32013")
    first = make_author()
    second = make_author(family_name="Van Der " + "Long" * 15)  # 68 characters
    article = _draft_with_references(authors=[first, second])
    result = services.publish(objects=Article.objects.filter(pk=article.pk), user=None)
    expected = "Crossref: Author 2 has a family name longer than 60 characters."
    assert expected in result.refused[0]


def test_publishing_an_issue_checks_its_articles():
    journal = make_journal(doi_prefix="10.32013")
    issue = make_issue(journal=journal, status=Issue.Status.DRAFT, published_at=None)
    good = make_article(issue=issue, doi="10.32013/jhop.1")
    bad = make_article(issue=issue, doi="10.32013/jhop.2", references=["A.", "B.", "C."])
    _break_reference_3(bad)
    result = services.publish(objects=Issue.objects.filter(pk=issue.pk), user=None)
    assert result.changed == 0
    assert f"“{bad.title}”: Crossref: “{bad.title}”: Reference 3 has a DOI" in result.refused[0]
    assert good.title not in result.refused[0]
    issue.refresh_from_db()
    assert issue.status == Issue.Status.DRAFT
    bad.refresh_from_db()
    assert "Reference 3" in bad.export_problems


def test_a_scheduled_article_broken_after_scheduling_is_held_back():
    make_journal(doi_prefix="10.32013")
    article = _draft_with_references()
    Article.objects.filter(pk=article.pk).update(published_at=timezone.now() + timedelta(hours=1))
    services.publish(objects=Article.objects.filter(pk=article.pk), user=None)
    article.refresh_from_db()
    assert article.visibility == Visibility.SCHEDULED
    _break_reference_3(article)
    out = io.StringIO()
    call_command("check_scheduled", stdout=out)
    assert "Held back: " in out.getvalue()
    assert "Reference 3 has a DOI that is not well formed" in out.getvalue()
    article.refresh_from_db()
    assert article.status == Article.Status.DRAFT
    assert article.first_published_at is None
    assert "Reference 3" in article.export_problems
    assert list(Article.objects.published()) == []


def test_check_scheduled_leaves_valid_articles_alone():
    make_journal(doi_prefix="10.32013")
    article = _draft_with_references()
    Article.objects.filter(pk=article.pk).update(published_at=timezone.now() + timedelta(hours=1))
    services.publish(objects=Article.objects.filter(pk=article.pk), user=None)
    out = io.StringIO()
    call_command("check_scheduled", stdout=out)
    assert out.getvalue().strip() == "Every scheduled article validates."
    article.refresh_from_db()
    assert article.visibility == Visibility.SCHEDULED


def test_saving_a_scheduled_article_that_no_longer_validates_holds_it_back():
    make_journal(doi_prefix="10.32013")
    article = _draft_with_references()
    Article.objects.filter(pk=article.pk).update(published_at=timezone.now() + timedelta(hours=1))
    services.publish(objects=Article.objects.filter(pk=article.pk), user=None)
    article.refresh_from_db()
    doi = article.doi
    long_name = make_author(family_name="Van Der " + "Long" * 15)
    article.authorships.create(author=long_name, position=1)
    note = services.check_after_edit(article=article, user=None)
    assert note.startswith(f"“{article.title}” was put back to draft: ")
    assert "Author 1 has a family name longer than 60 characters." in note
    article.refresh_from_db()
    assert article.status == Article.Status.DRAFT
    assert article.doi == doi  # assigned when scheduled; free to change until published
    assert article.first_published_at is None


def test_saving_a_live_article_that_no_longer_validates_warns_but_keeps_it_live():
    make_journal(doi_prefix="10.32013")
    article = _draft_with_references()
    services.publish(objects=Article.objects.filter(pk=article.pk), user=None)
    article.refresh_from_db()
    article.authorships.create(author=make_author(family_name="X" * 70), position=1)
    note = services.check_after_edit(article=article, user=None)
    assert note.startswith(f"“{article.title}” is live, but its Crossref or JATS record")
    article.refresh_from_db()
    assert article.status == Article.Status.PUBLISHED
    assert "Author 1" in article.export_problems


def test_a_research_article_without_a_licence_is_refused_in_editor_words():
    make_journal(doi_prefix="10.32013", licence_url="", licence_name="")
    article = _draft_with_references()
    result = services.publish(objects=Article.objects.filter(pk=article.pk), user=None)
    assert result.changed == 0
    (message,) = result.refused
    assert "A research article needs a licence: enter the licence URL and name on the journal" in (
        message
    )
    article.refresh_from_db()
    assert article.status == Article.Status.DRAFT
    article.licence_url = "https://creativecommons.org/licenses/by/4.0/"
    article.save()
    result = services.publish(objects=Article.objects.filter(pk=article.pk), user=None)
    assert result.refused == []
