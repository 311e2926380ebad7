"""The article form: authors, references and related items in one save, and their checks."""

import lxml.html
import pytest
from django.contrib.auth.models import Permission, User
from django.urls import reverse
from reversion.models import Version

from articles import services
from articles.models import (
    Article,
    Authorship,
    Reference,
    RelatedItem,
)
from tests.articles.admin_helpers import article_post, form_values, inline
from tests.factories import (
    make_article,
)

pytestmark = pytest.mark.django_db


def test_add_article_with_authors_references_and_related_items_in_one_save(admin_client):
    response = admin_client.post(reverse("admin:articles_article_add"), article_post())

    assert response.status_code == 302, response.context["errors"] if response.context else ""
    article = Article.objects.get(slug="a-new-article")
    assert article.body == "<p>Shown twice [1] and once [2].</p>"
    assert [a.credentials for a in article.ordered_authors] == ["PharmD, FASHP", "MPH"]
    assert [r.citation[:7] for r in article.references.all()] == ["Roberto", "Lloyd M"]
    assert [r.related.title for r in article.related_links.all()] == ["Related two", "Related one"]
    assert [t.name for t in article.topics.all()] == ["Breast Cancer"]
    assert Version.objects.get_for_object(article).count() == 1


def test_citation_without_a_reference_is_an_error_and_nothing_is_saved(admin_client):
    data = article_post(body="<p>Cites [1] and [2-3].</p>")
    before = (Article.objects.count(), Reference.objects.count(), Authorship.objects.count())

    response = admin_client.post(reverse("admin:articles_article_add"), data)

    assert response.status_code == 200
    assert "The body cites [3] but there is no reference with that number." in response.text
    after = (Article.objects.count(), Reference.objects.count(), Authorship.objects.count())
    assert after == before
    # Shown under the body too, where the editor typed it, not only by the references.
    [body_row] = lxml.html.fromstring(response.text).find_class("field-body")
    assert "The body cites [3]" in body_row.text_content()


def test_deleting_a_cited_reference_is_refused(admin_client, content):
    article = make_article(body="<p>See [1].</p>", references=["Only one."])
    ref = article.references.get()
    data = article_post(
        title=article.title,
        slug=article.slug,
        body=article.body,
        **inline(
            "references",
            [
                {
                    "id": ref.pk,
                    "article": article.pk,
                    "position": 1,
                    "citation": ref.citation,
                    "DELETE": "on",
                }
            ],
            initial=1,
        ),
    )
    response = admin_client.post(reverse("admin:articles_article_change", args=[article.pk]), data)
    assert response.status_code == 200
    assert "The body cites [1]" in response.text
    assert article.references.count() == 1


def test_bad_identifiers_show_field_errors(admin_client):
    data = article_post(doi="https://doi.org/10.1/x")
    data["references-1-pmid"] = "PMID 1x"
    response = admin_client.post(reverse("admin:articles_article_add"), data)
    assert response.status_code == 200
    assert "Enter a DOI such as" in response.text
    assert "A PubMed ID is a number" in response.text
    assert not Article.objects.filter(slug="a-new-article").exists()


def test_editor_with_view_only_cannot_save(client):
    user = User.objects.create_user("viewer", password="x", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_article"))
    client.force_login(user)
    article = make_article()
    response = client.post(reverse("admin:articles_article_change", args=[article.pk]), {})
    assert response.status_code == 403


def test_related_item_cannot_point_to_itself_in_the_admin(admin_client, content):
    article = content["article"]
    data = article_post(title=article.title, slug=article.slug, body="<p>x</p>")
    data.update(inline("related_links", [{"related": article.pk, "position": 1}]))
    data.update(inline("authorships", []))
    data.update(inline("article_topics", []))
    data.update(inline("references", []))
    data.update(inline("preview_links", [], initial=0))
    response = admin_client.post(reverse("admin:articles_article_change", args=[article.pk]), data)
    assert response.status_code == 200
    assert "An article cannot be related to itself." in response.text
    assert not RelatedItem.objects.filter(article=article).exists()

    other = make_article()
    data.update(
        inline(
            "related_links",
            [{"related": other.pk, "position": 1}, {"related": other.pk, "position": 2}],
        )
    )
    response = admin_client.post(reverse("admin:articles_article_change", args=[article.pk]), data)
    assert response.status_code == 200
    assert not RelatedItem.objects.filter(article=article).exists()


def test_references_left_unnumbered_are_numbered_in_order(admin_client):
    data = article_post()
    data.update(
        inline(
            "references",
            [
                {"position": "", "citation": "First, unnumbered."},
                {"position": "", "citation": "Second, unnumbered."},
                {"position": "", "citation": ""},
            ],
        )
    )
    response = admin_client.post(reverse("admin:articles_article_add"), data)
    assert response.status_code == 302
    article = Article.objects.get(slug="a-new-article")
    assert list(article.references.values_list("position", "citation")) == [
        (1, "First, unnumbered."),
        (2, "Second, unnumbered."),
    ]


def test_an_unnumbered_reference_goes_after_the_numbered_ones(admin_client):
    data = article_post(body="<p>See [3].</p>")
    data.update(
        inline(
            "references",
            [
                {"position": "", "citation": "Becomes three."},
                {"position": "2", "citation": "Two."},
                {"position": "1", "citation": "One."},
            ],
        )
    )
    assert admin_client.post(reverse("admin:articles_article_add"), data).status_code == 302
    article = Article.objects.get(slug="a-new-article")
    assert [r.citation for r in article.references.all()] == ["One.", "Two.", "Becomes three."]


def test_publishing_in_the_form_without_a_date_means_now(admin_client):
    data = article_post(status="published")
    assert admin_client.post(reverse("admin:articles_article_add"), data).status_code == 302
    article = Article.objects.get(slug="a-new-article")
    assert article.published_at is not None
    assert article in Article.objects.published()


def test_references_can_be_renumbered_in_one_save(admin_client):
    """Swapping two numbers, or inserting a new reference 1, must not trip the constraint."""
    add = admin_client.post(reverse("admin:articles_article_add"), article_post())
    assert add.status_code == 302
    article = Article.objects.get(slug="a-new-article")
    change = reverse("admin:articles_article_change", args=[article.pk])
    ids = list(article.references.values_list("pk", flat=True))

    data = form_values(admin_client.get(change).text, "article_form")
    data["references-0-position"], data["references-1-position"] = ["2"], ["1"]
    response = admin_client.post(change, data)

    assert response.status_code == 302, response.context["errors"]
    assert list(article.references.values_list("position", "pk")) == [(1, ids[1]), (2, ids[0])]

    data = form_values(admin_client.get(change).text, "article_form")
    data["references-0-position"], data["references-1-position"] = ["2"], ["3"]
    data["references-TOTAL_FORMS"] = ["3"]
    data["references-2-position"] = ["1"]
    data["references-2-citation"] = ["A new first reference."]
    response = admin_client.post(change, data)

    assert response.status_code == 302, response.context["errors"]
    citations = [r.citation[:8] for r in article.references.all()]
    assert citations == ["A new fi", "Lloyd MR", "Roberto "]
    assert Version.objects.get_for_object(article).count() == 3


def test_two_authors_can_swap_rows(admin_client):
    add = admin_client.post(reverse("admin:articles_article_add"), article_post())
    assert add.status_code == 302
    article = Article.objects.get(slug="a-new-article")
    change = reverse("admin:articles_article_change", args=[article.pk])
    before = [a.pk for a in article.ordered_authors]
    data = form_values(admin_client.get(change).text, "article_form")
    data["authorships-0-author"], data["authorships-1-author"] = (
        data["authorships-1-author"],
        data["authorships-0-author"],
    )
    assert admin_client.post(change, data).status_code == 302
    article = Article.objects.get(pk=article.pk)
    assert [a.pk for a in article.ordered_authors] == before[::-1]


def test_a_reference_number_beyond_what_can_be_cited_is_refused(admin_client):
    data = article_post()
    data["references-1-position"] = "1000"
    response = admin_client.post(reverse("admin:articles_article_add"), data)
    assert response.status_code == 200
    assert "less than or equal to 999" in response.text


def test_citation_error_on_change_saves_nothing_even_with_inline_deletions(admin_client):
    """The error blocks the whole save: article fields, deleted rows and history untouched."""
    add = admin_client.post(reverse("admin:articles_article_add"), article_post())
    assert add.status_code == 302
    article = Article.objects.get(slug="a-new-article")
    change = reverse("admin:articles_article_change", args=[article.pk])
    data = form_values(admin_client.get(change).text, "article_form")
    data["title"] = ["Retitled"]
    data["body"] = ["<p>Still cites [1] and [2].</p>"]
    data["references-1-DELETE"] = ["on"]
    data["authorships-0-DELETE"] = ["on"]

    response = admin_client.post(change, data)

    assert response.status_code == 200
    assert "The body cites [2] but there is no reference with that number." in response.text
    article.refresh_from_db()
    assert (article.title, article.body) == (
        "A New Article",
        "<p>Shown twice [1] and once [2].</p>",
    )
    assert article.references.count() == 2 and len(article.ordered_authors) == 2
    assert Version.objects.get_for_object(article).count() == 1


def test_an_editor_in_the_editors_group_gets_the_citation_check(client):
    from django.contrib.auth.models import Group

    editor = User.objects.create_user("desk-editor", password="x", is_staff=True)
    editor.groups.add(Group.objects.get(name="Editors"))
    client.force_login(editor)

    response = client.post(reverse("admin:articles_article_add"), article_post(body="<p>[3]</p>"))

    assert response.status_code == 200
    assert "The body cites [3]" in response.text
    assert not Article.objects.filter(slug="a-new-article").exists()
    assert client.post(reverse("admin:articles_article_add"), article_post()).status_code == 302


def test_two_references_with_the_same_number_are_an_error_not_a_crash(admin_client):
    data = article_post()
    data["references-1-position"] = "1"
    response = admin_client.post(reverse("admin:articles_article_add"), data)
    assert response.status_code == 200
    assert "Please correct the duplicate data for position" in response.text
    assert not Article.objects.filter(slug="a-new-article").exists()


def test_renaming_an_article_in_the_admin_keeps_its_old_url(admin_client, client):
    assert (
        admin_client.post(reverse("admin:articles_article_add"), article_post()).status_code == 302
    )
    article = Article.objects.get(slug="a-new-article")
    services.publish(objects=Article.objects.filter(pk=article.pk), user=None)
    change = reverse("admin:articles_article_change", args=[article.pk])
    data = form_values(admin_client.get(change).text, "article_form")
    data["slug"] = ["a-renamed-article"]
    assert admin_client.post(change, data).status_code == 302
    response = client.get("/articles/a-new-article/")
    assert response.status_code == 301
    assert response["Location"] == "/articles/a-renamed-article/"


def test_a_repeated_title_gets_a_unique_slug(admin_client):
    from articles.models import ArticleSlugHistory

    make_article(title="FDA Oncology Update", slug="fda-oncology-update")
    moved = make_article(title="Moved", slug="moved")
    ArticleSlugHistory.objects.create(article=moved, slug="fda-oncology-update-2")
    add = reverse("admin:articles_article_add")
    response = admin_client.post(
        add, article_post(title="FDA Oncology Update", slug="fda-oncology-update", doi="")
    )
    assert response.status_code == 302, response.context["errors"] if response.context else ""
    # -2 is another article's old address, so the new one is -3.
    assert Article.objects.filter(slug="fda-oncology-update-3").exists()
    # Left empty: made from the title too.
    admin_client.post(add, article_post(title="FDA Oncology Update", slug="", doi=""))
    assert Article.objects.filter(slug="fda-oncology-update-4").exists()
    # A slug the editor typed is theirs: a clash is an error, not a silent change.
    clash = admin_client.post(add, article_post(title="Other", slug="moved", doi=""))
    assert clash.status_code == 200 and "already exists" in clash.text
