"""Clicks on an edition's links are counted per link through /l/<token>, the same link for
every reader: nothing says who clicked."""

import re

import pytest
from django.urls import reverse

from subscriptions.models import EditionLink
from subscriptions.services import editions

from .factories import lists, make_subscriber
from .test_editions import articles, compose, edition_emails, manager  # noqa: F401

# The fixtures of test_editions are used here by name.
# ruff: noqa: F811

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(articles, outbox, django_capture_on_commit_callbacks):
    newsletter, _ = lists()
    for _ in range(2):
        make_subscriber(lists=[newsletter])
    edition = compose(articles, newsletter)
    with django_capture_on_commit_callbacks(execute=True):
        editions.send_edition(edition=edition, user=None)
    return edition


def click_links(message) -> list[str]:
    return re.findall(r"http://testserver(/l/[^\s\"<]+)", message.body)


def test_every_reader_gets_the_same_counted_links(sent, outbox):
    first, second = edition_emails(outbox)
    links = click_links(first)
    assert len(links) == 2 and links == click_links(second)
    assert all(link in first.alternatives[0][0] for link in links)


def test_a_click_is_counted_and_goes_to_the_article(client, sent, outbox):
    olaparib = click_links(edition_emails(outbox)[0])[0]
    for _ in range(3):
        response = client.get(olaparib)
        assert response.status_code == 302
        assert response["Location"] == "http://testserver/articles/olaparib/"
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]
    counted = EditionLink.objects.get(url="http://testserver/articles/olaparib/")
    assert (counted.edition_id, counted.clicks) == (sent.pk, 3)
    assert EditionLink.objects.get(url__endswith="/tls/").clicks == 0


def test_a_forged_or_broken_link_is_a_404_and_counts_nothing(client, sent, outbox):
    link = click_links(edition_emails(outbox)[0])[0]
    pk = link.split("/")[2].split(":")[0]
    assert client.get(f"/l/{pk}:forged").status_code == 404
    assert client.get("/l/not-a-token").status_code == 404
    assert not EditionLink.objects.filter(clicks__gt=0).exists()


def test_the_edition_page_shows_clicks_per_link_and_says_opens_are_not_counted(
    client, manager, sent, outbox
):
    client.get(click_links(edition_emails(outbox)[0])[1])
    client.force_login(manager)
    page = client.get(reverse("admin:subscriptions_edition_change", args=[sent.pk]))
    assert re.search(r"Tumor lysis syndrome prophylaxis</a></td><td>1</td>", page.text)
    assert "Opens are not counted" in page.text


def test_previews_and_tests_do_not_count(client, manager, sent, outbox, articles):
    draft = compose(articles, sent.mailing_list, subject="Draft")
    client.force_login(manager)
    html = client.get(reverse("admin:subscriptions_edition_preview_html", args=[draft.pk]))
    assert "/l/" not in html.text and "/articles/olaparib/" in html.text
