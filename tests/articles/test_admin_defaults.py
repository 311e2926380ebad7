"""Sensible defaults in the admin, and ordering by drag and drop (the server side of it)."""

import datetime

import lxml.html
import pytest
from django.urls import reverse

from articles.models import Article, Author, Issue
from articles.text import slugify, unique_slug
from tests.articles.admin_helpers import inline
from tests.factories import make_article, make_author, make_issue, make_journal, make_section

pytestmark = pytest.mark.django_db


def issue_post(**overrides) -> dict:
    return {
        "journal": make_journal().pk,
        "volume": "12",
        "number": "3",
        "kind": "regular",
        "title": "",
        "slug": "",
        "cover_date_0": "6",
        "cover_date_1": "2022",
        "cover_image_alt": "",
        "status": "draft",
        "published_at_0": "",
        "published_at_1": "",
        "description": "",
        **inline("articles", []),
        **inline("preview_links", []),
        **overrides,
    }


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("Antibody–Drug Conjugates", "antibody-drug-conjugates"),
        ("Antibody—Drug Conjugates", "antibody-drug-conjugates"),
        ("Hematology/Oncology", "hematology-oncology"),
        ("Tumor Lysis Syndrome", "tumor-lysis-syndrome"),
    ],
)
def test_dashes_are_word_breaks_in_slugs(text, slug):
    assert slugify(text) == slug


def test_unique_slug_adds_a_number_when_taken():
    make_author(given_name="Meg", family_name="Barbor", slug="meg-barbor")
    make_author(given_name="Meg", family_name="Barbor", slug="meg-barbor-2")
    assert unique_slug(Author, "Meg Barbor") == "meg-barbor-3"


def test_new_issue_form_preselects_the_primary_journal(admin_client):
    journal = make_journal()
    page = lxml.html.fromstring(admin_client.get(reverse("admin:articles_issue_add")).text)
    [selected] = page.xpath('//select[@name="journal"]/option[@selected]')
    assert selected.get("value") == str(journal.pk)
    # The cover month is a month list and a year box, not a full date.
    assert page.xpath('//select[@name="cover_date_0"]/option[text()="June"]')
    assert page.xpath('//input[@name="cover_date_1"][@type="number"]')


def test_issue_slug_is_made_from_its_label_and_cover_month_from_month_and_year(admin_client):
    response = admin_client.post(reverse("admin:articles_issue_add"), issue_post())
    assert response.status_code == 302, response.context["errors"]
    issue = Issue.objects.get()
    assert issue.cover_date == datetime.date(2022, 6, 1)
    assert issue.slug == "jhop-june-2022-vol-12-no-3"


def test_an_issue_label_already_used_as_a_slug_gets_a_number(admin_client):
    make_issue(slug="jhop-june-2022-vol-12-no-3", volume=1, number=1)
    response = admin_client.post(reverse("admin:articles_issue_add"), issue_post())
    assert response.status_code == 302, response.context["errors"]
    assert Issue.objects.filter(slug="jhop-june-2022-vol-12-no-3-2").exists()


def test_a_half_entered_cover_month_is_a_clear_error(admin_client):
    response = admin_client.post(reverse("admin:articles_issue_add"), issue_post(cover_date_1=""))
    assert response.status_code == 200
    assert "Choose the month and enter the year." in response.text
    assert not Issue.objects.exists()


def author_post(**overrides) -> dict:
    return {
        "given_name": "Meg",
        "family_name": "Barbor",
        "credentials": "MPH",
        "slug": "",
        "affiliation": "",
        "orcid": "",
        "bio": "",
        "photo_alt": "",
        **overrides,
    }


def test_author_slug_is_filled_in_and_kept_unique(admin_client):
    url = reverse("admin:articles_author_add")
    assert admin_client.post(url, author_post()).status_code == 302
    # The second Meg Barbor: the slug the page filled in is taken, so she gets -2.
    assert admin_client.post(url, author_post(slug="meg-barbor")).status_code == 302
    assert sorted(Author.objects.values_list("slug", flat=True)) == ["meg-barbor", "meg-barbor-2"]


def test_a_slug_typed_by_the_editor_that_is_taken_is_still_an_error(admin_client):
    make_author(slug="the-editor")
    response = admin_client.post(
        reverse("admin:articles_author_add"), author_post(slug="the-editor")
    )
    assert response.status_code == 200
    assert "already exists" in response.text


def test_ordered_inlines_offer_drag_and_drop(admin_client):
    article = make_article(authors=[make_author()])
    html = admin_client.get(reverse("admin:articles_article_change", args=[article.pk])).text
    page = lxml.html.fromstring(html)
    reorderable = {
        f.getparent().getparent().get("id") or f.getparent().get("id")
        for f in page.xpath('//fieldset[contains(@class, "reorderable")]')
    }
    assert {"authorships-group", "article_topics-group", "references-group"} <= reorderable
    assert {"related_links-group"} <= reorderable
    assert "js/admin/reorder.js" in html


def test_an_issue_table_of_contents_is_reordered_from_the_issue_form(admin_client):
    issue = make_issue()
    section = make_section("Original Article")
    first = make_article(issue=issue, section=section, title="First", position=1)
    second = make_article(issue=issue, section=section, title="Second", position=2)
    url = reverse("admin:articles_issue_change", args=[issue.pk])
    page = lxml.html.fromstring(admin_client.get(url).text)
    assert page.xpath('//fieldset[contains(@class, "reorderable")]//a[text()="First"]')

    data = issue_post(
        journal=issue.journal_id,
        slug=issue.slug,
        volume=issue.volume,
        number=issue.number,
        cover_date_0=str(issue.cover_date.month),
        cover_date_1=str(issue.cover_date.year),
        **inline(
            "articles",
            [{"id": second.pk, "position": 1}, {"id": first.pk, "position": 2}],
            initial=2,
        ),
    )
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["errors"]
    assert list(issue.articles.in_contents_order().values_list("title", flat=True)) == [
        "Second",
        "First",
    ]
    assert Article.objects.get(pk=first.pk).title == "First"  # nothing else touched
