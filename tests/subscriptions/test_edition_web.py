"""Each sent edition has a web version and a place in its list's public archive: public
pages with nothing of any reader in them, linked from the email, in the sitemap unless the
manager says not; and a preheader and a Reply-To."""

import re

import pytest
from django.urls import reverse

from subscriptions.models import Edition
from subscriptions.services import editions

from .factories import lists, make_subscriber
from .test_editions import articles, compose, edition_emails  # noqa: F401

# The fixture of test_editions is used here by name.
# ruff: noqa: F811

pytestmark = pytest.mark.django_db
WEB = "/newsletter/jhop-e-newsletter/jhop-weekly-breast-cancer/"


@pytest.fixture
def sent(articles, outbox, django_capture_on_commit_callbacks):
    newsletter, _ = lists()
    make_subscriber(lists=[newsletter], email="reader@example.com")
    edition = compose(articles, newsletter, preheader="Olaparib, and TLS prophylaxis")
    with django_capture_on_commit_callbacks(execute=True):
        editions.send_edition(edition=edition, user=None)
    edition.refresh_from_db()
    return edition


def test_the_email_links_its_web_version_and_hides_its_preheader(sent, outbox):
    (message,) = edition_emails(outbox)
    html = message.alternatives[0][0]
    assert sent.get_absolute_url() == WEB
    assert re.search(rf'<a href="http://testserver{WEB}"[^>]*>View in your browser</a>', html)
    assert f"View in your browser: http://testserver{WEB}" in message.body
    preheader = re.search(r'<div class="preheader" style="([^"]*)">([^<]*)</div>', html)
    assert "display:none" in preheader.group(1).replace(" ", "")
    assert preheader.group(2).startswith("Olaparib, and TLS prophylaxis")


def test_the_web_version_shows_the_edition_and_nothing_of_any_reader(client, sent, outbox):
    page = client.get(WEB)
    assert page.status_code == 200
    text = page.content.decode()
    assert "JHOP Weekly: breast cancer" in text and "Two articles for you." in text
    assert "Olaparib in early breast cancer" in text and "Tumor lysis" in text
    (message,) = edition_emails(outbox)
    reader_links = re.findall(r"/subscribe/(?:unsubscribe|manage)/[^\s\"<]+", message.body)
    assert reader_links and not any(link in text for link in reader_links)
    assert "/subscribe/unsubscribe/" not in text and "csrfmiddlewaretoken" not in text
    assert not page.cookies and "Cookie" not in page.get("Vary", "")
    assert page["ETag"]  # stored and answered by the page cache, like articles
    again = client.get(WEB, HTTP_IF_NONE_MATCH=page["ETag"])
    assert again.status_code == 304


def test_the_archive_lists_sent_editions_only(client, sent, articles):
    draft = compose(articles, sent.mailing_list, subject="Next week", slug="next-week")
    archive = client.get(reverse("newsletter:edition-archive", args=["jhop-e-newsletter"]))
    assert archive.status_code == 200
    assert f'href="{WEB}"' in archive.text and "Next week" not in archive.text
    assert client.get(f"/newsletter/jhop-e-newsletter/{draft.slug}/").status_code == 404
    assert client.get("/newsletter/jhop-print-edition/").status_code == 404
    assert client.get("/newsletter/no-such-list/").status_code == 404


def test_the_archive_costs_the_same_queries_for_1_or_8_editions(
    client,
    sent,
    articles,
    django_assert_max_num_queries,
):
    url = reverse("newsletter:edition-archive", args=["jhop-e-newsletter"])
    with django_assert_max_num_queries(12) as one:
        client.get(url)
    for n in range(7):
        edition = compose(articles, sent.mailing_list, subject=f"Edition {n}")
        editions.send_edition(edition=edition, user=None)
    with django_assert_max_num_queries(len(one)) as eight:
        response = client.get(url)
    assert response.text.count('class="item-meta"') == 8
    assert len(eight) == len(one)


def test_two_editions_with_one_subject_get_two_addresses(sent, articles):
    twin = compose(articles, sent.mailing_list)
    editions.send_edition(edition=twin, user=None)
    twin.refresh_from_db()
    assert twin.slug == "jhop-weekly-breast-cancer-2"


def test_the_sitemap_lists_the_archive_and_editions_unless_the_manager_says_not(client, sent):
    sitemap = client.get("/sitemap-newsletter.xml").content.decode()
    locations = [loc.split("/", 3)[3] for loc in re.findall(r"<loc>([^<]*)</loc>", sitemap)]
    assert f"/{locations[0]}" == "/newsletter/jhop-e-newsletter/"
    assert f"/{locations[1]}" == WEB
    sent.mailing_list.archive_in_sitemap = False
    sent.mailing_list.save()  # as the admin does: the cached sitemap goes stale
    sitemap = client.get("/sitemap-newsletter.xml").content.decode()
    assert "jhop-e-newsletter" not in sitemap
    assert client.get(WEB).status_code == 200  # still public, only not listed


def test_replies_go_to_the_lists_reply_to_else_the_sites(
    articles,
    outbox,
    settings,
    django_capture_on_commit_callbacks,
):
    settings.SUBSCRIPTIONS_REPLY_TO = "editors@jhop.example"
    newsletter, _ = lists()
    make_subscriber(lists=[newsletter])
    with django_capture_on_commit_callbacks(execute=True):
        editions.send_edition(edition=compose(articles, newsletter), user=None)
    newsletter.reply_to = "letters@jhop.example"
    newsletter.save()
    with django_capture_on_commit_callbacks(execute=True):
        editions.send_edition(
            edition=compose(articles, newsletter, subject="JHOP Weekly 2"), user=None
        )
    assert [m.extra_headers["Reply-To"] for m in edition_emails(outbox)] == [
        "editors@jhop.example",
        "letters@jhop.example",
    ]
    assert Edition.objects.filter(slug="jhop-weekly-2").exists()
