from datetime import timedelta

import lxml.html
import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.models import Permission, User
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone
from reversion.models import Version

from articles import services
from articles.models import (
    Article,
    Author,
    Authorship,
    CrossrefDeposit,
    Issue,
    PreviewLink,
    Reference,
    RelatedItem,
)
from tests.factories import (
    make_article,
    make_author,
    make_issue,
    make_journal,
    make_section,
    make_topic,
)

pytestmark = pytest.mark.django_db

ARTICLE_MODELS = [m for m in admin.site._registry if m._meta.app_label == "articles"]


@pytest.fixture
def content():
    issue = make_issue(volume=12, number=3)
    section = make_section("Original Article")
    author = make_author(orcid="0000-0002-1825-0097")
    article = make_article(
        issue=issue, section=section, authors=[author], topics=[make_topic("Breast Cancer")]
    )
    PreviewLink.objects.create(article=article)
    CrossrefDeposit.objects.create(issue=issue, batch_id="jhop-issue-1-1", document="<x/>")
    return {"issue": issue, "section": section, "author": author, "article": article}


def test_every_articles_model_with_content_has_an_admin():
    registered = {m._meta.model_name for m in ARTICLE_MODELS}
    assert {
        "article",
        "issue",
        "author",
        "journal",
        "section",
        "topic",
        "previewlink",
    } <= registered


def test_article_changelist_filters_search_and_columns(admin_client, content):
    url = reverse("admin:articles_article_changelist")
    family = content["author"].family_name
    response = admin_client.get(url, {"q": family})
    assert content["article"].title in response.text
    assert content["author"].display_name in response.text
    assert "JHOP - June 2022 Vol 12, No 3" in response.text
    later = make_article(published_at=timezone.now() + timedelta(days=2), title="Later one")
    waiting = make_article(title="Waiting", issue=make_issue(status=Issue.Status.DRAFT))
    response = admin_client.get(url, {"status__exact": "published"})
    assert "Scheduled for" in response.text
    assert later.title in response.text
    [row] = [
        r
        for r in lxml.html.fromstring(response.text).xpath("//tr")
        if waiting.title in r.text_content()
    ]
    assert "Published, hidden until its issue is" in row.text_content()
    assert admin_client.get(url, {"q": "nothing-matches"}).context["cl"].result_count == 0


def inline(prefix: str, rows: list[dict], initial: int = 0) -> dict:
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for i, row in enumerate(rows):
        data.update({f"{prefix}-{i}-{key}": value for key, value in row.items()})
    return data


def article_post(**overrides) -> dict:
    issue = Issue.objects.first() or make_issue()
    first, second = make_author(), make_author(given_name="Meg", credentials="MPH")
    related = [make_article(title="Related one"), make_article(title="Related two")]
    topic = make_topic("Breast Cancer")
    data = {
        "title": "A New Article",
        "slug": "a-new-article",
        "issue": issue.pk,
        "section": make_section("Original Article").pk,
        "standfirst": "",
        "body": '<p onclick="steal()">Shown twice [1] and once [2].</p><script>x()</script>',
        "status": "draft",
        "published_at_0": "",
        "published_at_1": "",
        "position": "0",
        "lead_image_alt": "",
        "lead_image_caption": "",
        "doi": "10.1234/jhop.2022.1",
        "first_page": "",
        "last_page": "",
        "keywords": "",
        "seo_description": "",
        **inline(
            "authorships",
            [{"author": second.pk, "position": 2}, {"author": first.pk, "position": 1}],
        ),
        **inline("article_topics", [{"topic": topic.pk, "position": 1}]),
        **inline(
            "references",
            [
                {"position": 1, "citation": "Roberto M, et al. Cancers. 2021;13:332."},
                {
                    "position": 2,
                    "citation": "Lloyd MR, et al. Clin Cancer Res. 2021.",
                    "pmid": "34724978",
                },
            ],
        ),
        **inline(
            "related_links",
            [{"related": related[1].pk, "position": 1}, {"related": related[0].pk, "position": 2}],
        ),
        **inline("preview_links", []),
    }
    data.update(overrides)
    return data


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


def test_publish_and_unpublish_actions(admin_client):
    make_journal()  # its ISSN is required by the JATS the publish gate checks
    draft = make_article(status=Article.Status.DRAFT, published_at=None)
    scheduled_at = timezone.now() + timedelta(days=3)
    scheduled = make_article(status=Article.Status.DRAFT, published_at=scheduled_at)
    url = reverse("admin:articles_article_changelist")

    admin_client.post(url, {"action": "publish", "_selected_action": [draft.pk, scheduled.pk]})

    draft.refresh_from_db()
    scheduled.refresh_from_db()
    assert draft.status == scheduled.status == Article.Status.PUBLISHED
    assert draft.is_public
    assert scheduled.published_at == scheduled_at and not scheduled.is_public
    assert Version.objects.get_for_object(draft).first().revision.comment == "Published"

    admin_client.post(url, {"action": "unpublish", "_selected_action": [draft.pk]})
    draft.refresh_from_db()
    assert draft.status == Article.Status.DRAFT
    assert draft not in Article.objects.published()


def test_issue_publish_action_puts_its_articles_online(admin_client):
    issue = make_issue(status=Issue.Status.DRAFT, published_at=None)
    article = make_article(issue=issue)
    assert article not in Article.objects.published()
    admin_client.post(
        reverse("admin:articles_issue_changelist"),
        {"action": "publish", "_selected_action": [issue.pk]},
    )
    assert article in Article.objects.published()


def test_issue_page_shows_table_of_contents_by_section(admin_client):
    issue = make_issue()
    news = make_section("FDA Oncology Update", position=2)
    original = make_section("Original Article", position=1)
    a = make_article(issue=issue, section=news, title="Enhertu approved")
    b = make_article(issue=issue, section=original, title="Evaluating adverse events")
    c = make_article(issue=issue, section=original, title="A draft", status="draft")

    html = admin_client.get(reverse("admin:articles_issue_change", args=[issue.pk])).text

    assert html.index("<h3>Original Article</h3>") < html.index("<h3>FDA Oncology Update</h3>")
    for article in (a, b, c):
        assert reverse("admin:articles_article_change", args=[article.pk]) in html
        assert article.get_absolute_url() in html


def test_issue_list_shows_cover_thumbnails(admin_client):
    from django.core.files.base import ContentFile

    from tests.articles.test_images import image_bytes

    issue = make_issue(cover_image_alt="Cover of June 2022")
    issue.cover_image.save("c.png", ContentFile(image_bytes(size=(600, 800))))
    html = admin_client.get(reverse("admin:articles_issue_changelist")).text
    assert 'alt="Cover of June 2022"' in html
    assert "-60w.png" in html


def test_author_list_counts_articles_and_merge_keeps_one(admin_client):
    keep = make_author(given_name="Robert J.", family_name="Ignoffo", credentials="")
    dup = make_author(
        given_name="Robert", family_name="Ignoffo", credentials="PharmD, FHOPA", affiliation="UCSF"
    )
    shared = make_article(authors=[keep, dup])
    make_article(authors=[keep])
    only_dup = make_article(authors=[make_author(), dup])
    html = admin_client.get(reverse("admin:articles_author_changelist"), {"q": "Ignoffo"}).text
    assert "PharmD, FHOPA" in html

    changelist = reverse("admin:articles_author_changelist")
    chooser = admin_client.post(
        changelist, {"action": "merge", "_selected_action": [keep.pk, dup.pk]}
    )
    assert chooser.status_code == 200 and Author.objects.filter(pk=dup.pk).exists()
    [form] = lxml.html.fromstring(chooser.text).xpath("//form[.//input[@name='keep']]")
    data = dict(form.form_values()) | {"_selected_action": [keep.pk, dup.pk], "apply": "1"}
    assert data["keep"] == str(keep.pk)  # the one with most articles is offered first
    admin_client.post(changelist, data)

    assert not Author.objects.filter(pk=dup.pk).exists()
    keep.refresh_from_db()
    assert (keep.credentials, keep.affiliation) == ("PharmD, FHOPA", "UCSF")
    assert list(shared.authorships.values_list("author", "position")) == [(keep.pk, 1)]
    assert [a.pk for a in only_dup.ordered_authors][1] == keep.pk
    response = admin_client.get(dup.get_absolute_url())
    assert (response.status_code, response["Location"]) == (301, keep.get_absolute_url())


def test_merge_keeps_the_author_the_editor_chooses(admin_client):
    popular = make_author(given_name="Robert", family_name="Ignofo", credentials="")
    correct = make_author(given_name="Robert J.", family_name="Ignoffo")
    for _ in range(3):
        make_article(authors=[popular])
    changelist = reverse("admin:articles_author_changelist")
    chosen = {"action": "merge", "_selected_action": [popular.pk, correct.pk]}

    admin_client.post(changelist, chosen | {"keep": correct.pk})  # no "apply": asks again
    assert Author.objects.count() == 2

    response = admin_client.post(changelist, chosen | {"keep": correct.pk, "apply": "1"})

    assert response.status_code == 302
    assert list(Author.objects.all()) == [correct]
    assert correct.articles.count() == 3


def test_share_draft_action_creates_a_preview_link(admin_client, admin_user):
    draft = make_article(status=Article.Status.DRAFT)
    response = admin_client.post(
        reverse("admin:articles_article_changelist"),
        {"action": "share_draft", "_selected_action": [draft.pk]},
        follow=True,
    )
    link = PreviewLink.objects.get(article=draft)
    assert link.created_by == admin_user
    assert link.is_active
    assert link.get_absolute_url() in response.text


def test_preview_links_revoke_action(admin_client):
    link = PreviewLink.objects.create(article=make_article(status="draft"))
    admin_client.post(
        reverse("admin:articles_previewlink_changelist"),
        {"action": "revoke", "_selected_action": [link.pk]},
    )
    link.refresh_from_db()
    assert link.revoked_at is not None and not link.is_active


def _staff_editor(client):
    user = User.objects.create_user("editor", password="x", is_staff=True)
    ct = ContentType.objects.get_for_model(Article)
    user.user_permissions.add(
        *Permission.objects.filter(content_type=ct, codename__in=["change_article", "view_article"])
    )
    client.force_login(user)
    return user


def test_view_on_site_shows_staff_a_draft_and_anonymous_a_404(client):
    draft = make_article(status=Article.Status.DRAFT, title="Secret draft")
    assert client.get(draft.get_absolute_url()).status_code == 404

    _staff_editor(client)
    change = client.get(reverse("admin:articles_article_change", args=[draft.pk])).text
    [view_on_site] = lxml.html.fromstring(change).xpath('//a[@class="viewsitelink"]/@href')
    assert view_on_site == draft.get_absolute_url()
    response = client.get(view_on_site)
    assert response.status_code == 200
    assert "Secret draft" in response.text

    client.logout()
    assert client.get(draft.get_absolute_url()).status_code == 404


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


def form_values(html: str, form_id: str) -> dict:
    form = lxml.html.fromstring(html).get_element_by_id(form_id)
    data: dict[str, list[str]] = {}
    for name, value in form.form_values():
        data.setdefault(name, []).append(value)
    return data


def test_history_restores_an_earlier_version_with_its_authors_and_references(admin_client):
    url = reverse("admin:articles_article_add")
    assert admin_client.post(url, article_post()).status_code == 302
    article = Article.objects.get(slug="a-new-article")
    change = reverse("admin:articles_article_change", args=[article.pk])

    data = form_values(admin_client.get(change).text, "article_form")
    data["title"] = ["A Retitled Article"]
    data["body"] = ["<p>Now only [1].</p>"]
    data["references-1-DELETE"] = ["on"]
    data["authorships-0-DELETE"] = ["on"]
    response = admin_client.post(change, data)
    assert response.status_code == 302, response.context["errors"]
    article.refresh_from_db()
    assert article.title == "A Retitled Article"
    assert article.references.count() == 1 and len(article.ordered_authors) == 1

    history = admin_client.get(reverse("admin:articles_article_history", args=[article.pk]))
    assert history.status_code == 200
    first = Version.objects.get_for_object(article).order_by("pk").first()
    revision_url = reverse("admin:articles_article_revision", args=[article.pk, first.pk])
    page = admin_client.get(revision_url)
    assert page.status_code == 200
    response = admin_client.post(revision_url, form_values(page.text, "article_form"))
    assert response.status_code == 302

    article.refresh_from_db()
    assert article.title == "A New Article"
    assert article.references.count() == 2
    assert len(article.ordered_authors) == 2
    assert article.body == "<p>Shown twice [1] and once [2].</p>"


def test_history_for_issues_and_authors(admin_client):
    journal = make_journal()
    data = {
        "journal": journal.pk,
        "volume": "12",
        "number": "3",
        "kind": "regular",
        "title": "",
        "slug": "june-2022",
        "cover_date": "2022-06-01",
        "cover_image_alt": "",
        "status": "draft",
        "published_at_0": "",
        "published_at_1": "",
        "description": "",
        **inline("articles", []),
        **inline("preview_links", []),
    }
    response = admin_client.post(reverse("admin:articles_issue_add"), data)
    assert response.status_code == 302, response.context["errors"]
    issue = Issue.objects.get(slug="june-2022")
    assert Version.objects.get_for_object(issue).count() == 1

    author = {
        "given_name": "Meg",
        "family_name": "Barbor",
        "credentials": "MPH",
        "slug": "meg-barbor",
        "affiliation": "",
        "orcid": "0000-0002-1825-0097",
        "bio": "",
        "photo_alt": "",
    }
    assert admin_client.post(reverse("admin:articles_author_add"), author).status_code == 302
    saved = Author.objects.get(slug="meg-barbor")
    version = Version.objects.get_for_object(saved).get()
    saved.credentials = "PhD"
    saved.save()
    version.revision.revert()
    saved.refresh_from_db()
    assert saved.credentials == "MPH"


def test_share_and_revoke_a_draft_from_the_article_page(admin_client, admin_user, client):
    assert (
        admin_client.post(reverse("admin:articles_article_add"), article_post()).status_code == 302
    )
    article = Article.objects.get(slug="a-new-article")
    change = reverse("admin:articles_article_change", args=[article.pk])
    data = form_values(admin_client.get(change).text, "article_form")
    expires = timezone.localtime() + timedelta(days=3)
    data.update(
        {
            "preview_links-TOTAL_FORMS": ["1"],
            "preview_links-0-note": ["Dr Patel, for proofing"],
            "preview_links-0-expires_at_0": [expires.strftime("%Y-%m-%d")],
            "preview_links-0-expires_at_1": [expires.strftime("%H:%M:%S")],
        }
    )
    assert admin_client.post(change, data).status_code == 302
    link = PreviewLink.objects.get(article=article)
    assert (link.note, link.created_by) == ("Dr Patel, for proofing", admin_user)
    assert client.get(link.get_absolute_url()).status_code == 200

    page = admin_client.get(change).text
    # In full, ready to paste into an email to someone without a login.
    assert f'href="{settings.SITE_URL}{link.get_absolute_url()}"' in page
    listing = admin_client.get(reverse("admin:articles_previewlink_changelist")).text
    assert f"{settings.SITE_URL}{link.get_absolute_url()}" in listing
    data = form_values(page, "article_form")
    data["preview_links-0-revoke"] = ["on"]
    assert admin_client.post(change, data).status_code == 302
    link.refresh_from_db()
    assert link.revoked_at is not None
    assert client.get(link.get_absolute_url()).status_code == 404


@pytest.mark.parametrize(
    ("model_name", "field_name"),
    [
        ("article", "issue"),
        ("article", "section"),
        ("authorship", "author"),
        ("articletopic", "topic"),
        ("relateditem", "related"),
    ],
)
def test_autocomplete_lists_are_ordered(admin_client, content, model_name, field_name):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        response = admin_client.get(
            reverse("admin:autocomplete"),
            {
                "term": "",
                "app_label": "articles",
                "model_name": model_name,
                "field_name": field_name,
            },
        )
    assert response.status_code == 200
    assert response.json()["results"]


def test_publish_action_refuses_an_article_citing_a_missing_reference(admin_client):
    make_journal()  # its ISSN is required by the JATS the publish gate checks
    broken = make_article(
        status=Article.Status.DRAFT,
        title="Broken",
        body="<p>See [1] and [2].</p>",
        references=["Only one."],
    )
    fine = make_article(status=Article.Status.DRAFT, title="Fine")
    response = admin_client.post(
        reverse("admin:articles_article_changelist"),
        {"action": "publish", "_selected_action": [broken.pk, fine.pk]},
        follow=True,
    )
    broken.refresh_from_db()
    fine.refresh_from_db()
    assert broken.status == Article.Status.DRAFT
    assert fine.status == Article.Status.PUBLISHED
    text = response.text
    assert "1 article(s) published: readers see them now." in text
    assert "Not published: Broken: The body cites [2] but there is no reference" in text


def test_publish_action_refuses_an_article_with_an_invalid_field(admin_client):
    bad = make_article(status=Article.Status.DRAFT, title="Bad DOI", doi="doi:10.1/x")
    response = admin_client.post(
        reverse("admin:articles_article_changelist"),
        {"action": "publish", "_selected_action": [bad.pk]},
        follow=True,
    )
    bad.refresh_from_db()
    assert bad.status == Article.Status.DRAFT
    assert "Not published: Bad DOI: Enter a DOI such as" in response.text


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


@pytest.mark.parametrize("name", ["article", "issue", "author"])
def test_changelists_run_a_fixed_number_of_queries(admin_client, name):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = reverse(f"admin:articles_{name}_changelist")

    def count(n: int) -> int:
        for _ in range(n):
            make_article(issue=make_issue(), authors=[make_author(), make_author()])
        admin_client.get(url)  # fills per-process caches (the site's journal, thumbnails)
        with CaptureQueriesContext(connection) as queries:
            assert admin_client.get(url).status_code == 200
        return len(queries)

    assert count(1) == count(19)


def test_issue_autocomplete_runs_a_fixed_number_of_queries(
    admin_client, django_assert_max_num_queries
):
    for _ in range(15):
        make_issue()
    params = {"term": "", "app_label": "articles", "model_name": "article", "field_name": "issue"}
    with django_assert_max_num_queries(6):
        response = admin_client.get(reverse("admin:autocomplete"), params)
    assert len(response.json()["results"]) == 15


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


def _restore_first_version(admin_client, article):
    first = Version.objects.get_for_object(article).order_by("pk").first()
    url = reverse("admin:articles_article_revision", args=[article.pk, first.pk])
    page = admin_client.get(url)
    assert page.status_code == 200
    return admin_client.post(url, form_values(page.text, "article_form"))


def test_restoring_removes_references_and_related_items_added_since(admin_client):
    add = admin_client.post(reverse("admin:articles_article_add"), article_post())
    assert add.status_code == 302
    article = Article.objects.get(slug="a-new-article")
    change = reverse("admin:articles_article_change", args=[article.pk])
    extra = make_article(title="Added later")
    data = form_values(admin_client.get(change).text, "article_form")
    data["body"] = ["<p>[1] [2] [3]</p>"]
    data.update({"references-TOTAL_FORMS": ["3"], "related_links-TOTAL_FORMS": ["3"]})
    data.update({"references-2-position": ["3"], "references-2-citation": ["Third."]})
    data.update({"related_links-2-related": [str(extra.pk)], "related_links-2-position": ["3"]})
    assert admin_client.post(change, data).status_code == 302
    assert article.references.count() == 3 and article.related_links.count() == 3

    assert _restore_first_version(admin_client, article).status_code == 302

    article.refresh_from_db()
    assert article.body == "<p>Shown twice [1] and once [2].</p>"
    assert list(article.references.values_list("position", flat=True)) == [1, 2]
    assert [r.related.title for r in article.related_links.all()] == ["Related two", "Related one"]


def test_restoring_a_version_from_before_references_were_renumbered(admin_client):
    add = admin_client.post(reverse("admin:articles_article_add"), article_post())
    assert add.status_code == 302
    article = Article.objects.get(slug="a-new-article")
    change = reverse("admin:articles_article_change", args=[article.pk])
    data = form_values(admin_client.get(change).text, "article_form")
    data["references-0-position"], data["references-1-position"] = ["2"], ["1"]
    data["authorships-0-author"], data["authorships-1-author"] = (
        data["authorships-1-author"],
        data["authorships-0-author"],
    )
    assert admin_client.post(change, data).status_code == 302
    swapped = list(article.references.values_list("citation", flat=True))

    # Looking at the old version changes nothing.
    first = Version.objects.get_for_object(article).order_by("pk").first()
    admin_client.get(reverse("admin:articles_article_revision", args=[article.pk, first.pk]))
    assert list(article.references.values_list("citation", flat=True)) == swapped

    response = _restore_first_version(admin_client, article)

    assert response.status_code == 302
    assert list(article.references.values_list("citation", flat=True)) == swapped[::-1]
    article = Article.objects.get(pk=article.pk)
    assert [a.credentials for a in article.ordered_authors] == ["PharmD, FASHP", "MPH"]


def test_publish_action_tells_the_editor_what_readers_will_not_see_yet(admin_client):
    at = timezone.now() + timedelta(days=3)
    scheduled = make_article(status=Article.Status.DRAFT, published_at=at, title="Next week")
    waiting = make_article(
        status=Article.Status.DRAFT,
        title="In a draft issue",
        issue=make_issue(status=Issue.Status.DRAFT, volume=13, number=1),
    )
    already = make_article(published_at=at, title="Already scheduled")
    live = make_article(status=Article.Status.DRAFT, title="Live now")

    response = admin_client.post(
        reverse("admin:articles_article_changelist"),
        {"action": "publish", "_selected_action": [scheduled.pk, waiting.pk, already.pk, live.pk]},
        follow=True,
    )

    messages = [str(m) for m in response.context["messages"]]
    local = timezone.localtime(at).strftime("%b %-d, %Y %H:%M")
    assert "1 article(s) published: readers see them now." in messages
    assert f"“Next week” is scheduled for {local}: it goes live then by itself." in messages
    assert f"“Already scheduled” is scheduled for {local}: it goes live then by itself." in messages
    assert (
        "“In a draft issue” is published, but readers will see it only once its issue "
        "“JHOP - June 2022 Vol 13, No 1” is." in messages
    )
    assert not any("Live now" in m for m in messages)
    assert set(Article.objects.published()) == {live}
    assert Article.objects.get(pk=already.pk).published_at == at


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("June 2022", ["JHOP - June 2022 Vol 12, No 3"]),
        ("jun 2022", ["JHOP - June 2022 Vol 12, No 3"]),
        ("Vol 12, No 2", ["JHOP - April 2022 Vol 12, No 2"]),
        ("JHOP - April 2022 Vol 12, No 2", ["JHOP - April 2022 Vol 12, No 2"]),
        ("special feature", ["JHOP - March 2022 Vol 12 Special Feature"]),
        ("year in review", ["2021 Year in Review - Breast Cancer"]),
        ("clinical trials", ["February 2022 Clinical Trials to Clinical Practice"]),
        ("2019", ["JHOP - June 2019 Vol 9, No 2"]),
        ("December 2022", []),
    ],
)
def test_issue_autocomplete_finds_issues_by_their_label(admin_client, term, expected):
    from datetime import date

    make_issue(cover_date=date(2022, 6, 1), volume=12, number=3)
    make_issue(cover_date=date(2022, 4, 1), volume=12, number=2)
    make_issue(cover_date=date(2019, 6, 1), volume=9, number=2)
    make_issue(cover_date=date(2022, 3, 1), number=None, kind=Issue.Kind.SPECIAL_FEATURE)
    make_issue(
        cover_date=date(2022, 1, 1),
        number=None,
        kind=Issue.Kind.YEAR_IN_REVIEW,
        title="2021 Year in Review - Breast Cancer",
    )
    make_issue(
        cover_date=date(2022, 2, 1),
        number=None,
        kind=Issue.Kind.SPECIAL_ISSUE,
        title="Clinical Trials to Clinical Practice",
    )
    params = {"term": term, "app_label": "articles", "model_name": "article", "field_name": "issue"}
    response = admin_client.get(reverse("admin:autocomplete"), params)
    assert [r["text"] for r in response.json()["results"]] == expected


def test_issue_table_of_contents_shows_bylines_and_state_in_a_fixed_number_of_queries(
    admin_client,
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    issue = make_issue()
    section = make_section("Original Article")
    url = reverse("admin:articles_issue_change", args=[issue.pk])

    def count(n: int) -> int:
        for _ in range(n):
            make_article(issue=issue, section=section, authors=[make_author(), make_author()])
        admin_client.get(url)
        with CaptureQueriesContext(connection) as queries:
            response = admin_client.get(url)
        assert response.status_code == 200
        return len(queries)

    assert count(1) == count(12)
    make_article(
        issue=issue,
        section=section,
        title="Coming soon",
        published_at=timezone.now() + timedelta(days=2),
        authors=[make_author(given_name="Meg", family_name="Barbor", credentials="MPH")],
    )
    [toc] = lxml.html.fromstring(admin_client.get(url).text).find_class("field-table_of_contents")
    [entry] = [li for li in toc.iter("li") if "Coming soon" in li.text_content()]
    assert "Meg Barbor, MPH" in entry.text_content()
    assert "Scheduled for" in entry.text_content()


def test_a_deleted_article_can_be_recovered_with_its_rows(admin_client):
    add = admin_client.post(reverse("admin:articles_article_add"), article_post())
    assert add.status_code == 302
    article = Article.objects.get(slug="a-new-article")
    delete = reverse("admin:articles_article_delete", args=[article.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 302
    assert not Article.objects.filter(pk=article.pk).exists()

    [version] = Version.objects.get_deleted(Article)
    url = reverse("admin:articles_article_recover", args=[version.pk])
    page = admin_client.get(url)
    assert page.status_code == 200
    assert admin_client.post(url, form_values(page.text, "article_form")).status_code == 302

    article = Article.objects.get(pk=article.pk)
    assert article.references.count() == 2 and article.related_links.count() == 2
    assert [a.credentials for a in article.ordered_authors] == ["PharmD, FASHP", "MPH"]
    assert [t.name for t in article.topics.all()] == ["Breast Cancer"]


def test_view_on_site_is_offered_only_where_the_page_exists(admin_client):
    def view_on_site(url):
        links = lxml.html.fromstring(admin_client.get(url).text).find_class("viewsitelink")
        return links[0].get("href") if links else None

    draft_issue = make_issue(status=Issue.Status.DRAFT)
    public_issue = make_issue()
    unpublished_author, published_author = make_author(), make_author()
    make_article(status=Article.Status.DRAFT, authors=[unpublished_author])
    make_article(issue=public_issue, authors=[published_author])

    # A draft issue's page is its preview for staff (readers get a 404).
    draft_link = view_on_site(reverse("admin:articles_issue_change", args=[draft_issue.pk]))
    assert admin_client.get(draft_link).status_code == 200
    assert (
        view_on_site(reverse("admin:articles_author_change", args=[unpublished_author.pk])) is None
    )
    for obj, name in [(public_issue, "issue"), (published_author, "author")]:
        link = view_on_site(reverse(f"admin:articles_{name}_change", args=[obj.pk]))
        assert link == obj.get_absolute_url()
        assert admin_client.get(link).status_code == 200


def test_two_references_with_the_same_number_are_an_error_not_a_crash(admin_client):
    data = article_post()
    data["references-1-position"] = "1"
    response = admin_client.post(reverse("admin:articles_article_add"), data)
    assert response.status_code == 200
    assert "Please correct the duplicate data for position" in response.text
    assert not Article.objects.filter(slug="a-new-article").exists()


def test_issue_page_links_to_a_new_article_already_filed_in_it(admin_client):
    issue = make_issue(volume=12, number=3)
    html = admin_client.get(reverse("admin:articles_issue_change", args=[issue.pk])).text
    [add] = lxml.html.fromstring(html).xpath('//a[text()="Add an article to this issue"]/@href')

    form = admin_client.get(add).text

    [selected] = lxml.html.fromstring(form).xpath('//select[@name="issue"]/option[@selected]')
    assert (selected.get("value"), selected.text) == (str(issue.pk), issue.label)


def test_a_second_primary_journal_is_refused_in_words_an_editor_understands(admin_client):
    make_journal()
    response = admin_client.post(
        reverse("admin:articles_journal_add"),
        {"name": "Other Journal", "short_name": "OJ", "slug": "oj", "is_primary": "on"},
    )
    assert response.status_code == 200
    assert "Another journal is already the primary one" in response.text
    assert "journal_one_primary" not in response.text


def test_issue_publish_action_says_when_a_scheduled_issue_goes_live(admin_client):
    at = timezone.now() + timedelta(days=5)
    issue = make_issue(status=Issue.Status.DRAFT, published_at=at, volume=12, number=4)
    response = admin_client.post(
        reverse("admin:articles_issue_changelist"),
        {"action": "publish", "_selected_action": [issue.pk]},
        follow=True,
    )
    messages = [str(m) for m in response.context["messages"]]
    local = timezone.localtime(at).strftime("%b %-d, %Y %H:%M")
    # Only scheduled: nothing says "published" as if readers could see it.
    assert messages == [
        f"“JHOP - June 2022 Vol 12, No 4” is scheduled for {local}: it goes live then by itself.",
    ]
    issue.refresh_from_db()
    assert issue.status == Issue.Status.PUBLISHED and not issue.is_public


def test_export_column_filter_and_deposits_on_the_admin_pages(admin_client, content):
    article = content["article"]
    Article.objects.filter(pk=article.pk).update(
        export_problems="Crossref: Reference 3 has a DOI that is not well formed (10.1/x).",
        export_checked_at=timezone.now(),
    )
    changelist = reverse("admin:articles_article_changelist")
    page = admin_client.get(changelist).content.decode()
    assert "1 problem" in page
    listed = admin_client.get(changelist, {"export": "problems"}).context["cl"].result_list
    assert list(listed) == [article]
    assert not admin_client.get(changelist, {"export": "valid"}).context["cl"].result_list
    change = admin_client.get(reverse("admin:articles_article_change", args=[article.pk]))
    assert "Reference 3 has a DOI that is not well formed" in change.content.decode()
    issue_page = admin_client.get(
        reverse("admin:articles_issue_change", args=[content["issue"].pk])
    ).content.decode()
    assert "jhop-issue-1-1" in issue_page
    assert "Queued" in issue_page


def test_register_dois_action_queues_a_deposit(
    admin_client, settings, django_capture_on_commit_callbacks
):
    settings.CROSSREF_DEPOSIT_URL = "http://127.0.0.1:9/servlet/deposit"  # nothing listens
    settings.CROSSREF_ATTEMPTS = 1
    journal = make_journal(doi_prefix="10.32013")
    issue = make_issue(journal=journal)
    make_article(issue=issue, doi="10.32013/jhop.9")
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:articles_issue_changelist"),
            {"action": "register_dois", "_selected_action": [issue.pk]},
            follow=True,
        )
    assert "1 deposit(s) sent to Crossref" in response.content.decode()
    deposit = CrossrefDeposit.objects.get(issue=issue)
    assert deposit.state == CrossrefDeposit.State.FAILED  # the task ran: no one answered
    assert "did not answer" in deposit.message


def test_register_dois_action_explains_a_refusal(admin_client):
    article = make_article(doi="")
    response = admin_client.post(
        reverse("admin:articles_article_changelist"),
        {"action": "register_dois", "_selected_action": [article.pk]},
        follow=True,
    )
    assert "is not published with a DOI yet" in response.content.decode()
    assert not CrossrefDeposit.objects.exists()


def test_saving_a_published_article_gives_its_doi_and_checks_it(admin_client):
    make_journal(doi_prefix="10.32013")
    data = article_post(status="published", doi="")
    data["published_at_0"], data["published_at_1"] = "2022-06-01", "10:00:00"
    response = admin_client.post(reverse("admin:articles_article_add"), data)
    assert response.status_code == 302
    article = Article.objects.get(slug="a-new-article")
    assert article.doi == f"10.32013/jhop.2022.{article.pk}"
    assert article.first_published_at is not None
    assert article.export_checked_at is not None
    assert article.export_problems == ""


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
