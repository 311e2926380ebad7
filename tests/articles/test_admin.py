"""The journal admin's lists and pages: changelists, search, autocomplete, issues, authors."""

from datetime import timedelta

import lxml.html
import pytest
from django.urls import reverse
from django.utils import timezone

from articles.models import (
    Author,
    Issue,
)
from tests.articles.admin_helpers import ARTICLE_MODELS
from tests.factories import (
    make_article,
    make_author,
    make_issue,
    make_journal,
    make_section,
)

pytestmark = pytest.mark.django_db


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
    # A session's first admin request also looks up the user's second factor (jhop.twofactor).
    admin_client.get(reverse("admin:autocomplete"), params)
    with django_assert_max_num_queries(6):
        response = admin_client.get(reverse("admin:autocomplete"), params)
    assert len(response.json()["results"]) == 15


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("June 2022", ["JHOP - June 2022 Vol 12, No 3"]),
        ("jun 2022", ["JHOP - June 2022 Vol 12, No 3"]),
        ("Vol 12, No 2", ["JHOP - April 2022 Vol 12, No 2"]),
        ("JHOP - April 2022 Vol 12, No 2", ["JHOP - April 2022 Vol 12, No 2"]),
        ("special feature", ["JHOP - March 2022 Vol 12 Special Feature"]),
        # Titled issues: the month, volume and number, then the title.
        ("year in review", ["JHOP - January 2022 Vol 12: 2021 Year in Review - Breast Cancer"]),
        ("clinical trials", ["JHOP - February 2022 Vol 12: Clinical Trials to Clinical Practice"]),
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
