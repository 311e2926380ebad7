"""Clicks on an edition's links are counted per link through /l/<token>, the same link for
every reader: nothing says who clicked, unless the list's manager turns on per-reader
tracking."""

import re

import pytest
from django.urls import reverse

from subscriptions import tokens
from subscriptions.models import EditionLink, MailingList, ReaderClick
from subscriptions.services import editions
from subscriptions.services.consent import RequestMeta
from subscriptions.services.records import erase_subscriber, subscriber_data

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


@pytest.fixture
def tracked(articles, outbox, django_capture_on_commit_callbacks):
    """An edition of a list whose manager turned on "record which reader clicked"."""
    newsletter, _ = lists()
    newsletter.track_clicks_per_reader = True
    newsletter.save()
    readers = [make_subscriber(lists=[newsletter]) for _ in range(2)]
    edition = compose(articles, newsletter)
    with django_capture_on_commit_callbacks(execute=True):
        editions.send_edition(edition=edition, user=None)
    return edition, {r.email: r for r in readers}


def test_a_list_that_records_readers_names_each_reader_in_their_links(client, tracked, outbox):
    edition, readers = tracked
    first, second = edition_emails(outbox)
    first_links, second_links = click_links(first), click_links(second)
    assert len(first_links) == 2 and not set(first_links) & set(second_links)
    assert all(link in first.alternatives[0][0] for link in first_links)
    assert "JHOP-READER-SLOT" not in first.body + first.alternatives[0][0]
    for _ in range(2):
        assert client.get(first_links[0])["Location"] == "http://testserver/articles/olaparib/"
    olaparib = EditionLink.objects.get(edition=edition, url__endswith="/olaparib/")
    assert olaparib.clicks == 2
    clicks = ReaderClick.objects.filter(link=olaparib)
    assert [c.subscriber for c in clicks] == [readers[first.to[0]]] * 2


def test_a_damaged_reader_tag_counts_the_click_and_names_nobody(client, tracked, outbox):
    link = click_links(edition_emails(outbox)[0])[0]
    reader = link.rsplit("/", 1)[1]
    damaged = link.replace(reader, reader[:-1] + ("x" if reader[-1] != "x" else "y"))
    assert client.get(damaged).status_code == 302
    assert client.get(link.rsplit("/", 1)[0] + "/not-a-tag").status_code == 302
    assert EditionLink.objects.get(url__endswith="/olaparib/").clicks == 2
    assert not ReaderClick.objects.exists()


def test_turning_the_switch_off_stops_recording_for_emails_already_sent(client, tracked, outbox):
    edition, _ = tracked
    MailingList.objects.filter(pk=edition.mailing_list_id).update(track_clicks_per_reader=False)
    assert client.get(click_links(edition_emails(outbox)[0])[0]).status_code == 302
    assert EditionLink.objects.get(url__endswith="/olaparib/").clicks == 1
    assert not ReaderClick.objects.exists()


def test_a_reader_tag_on_a_list_that_does_not_record_readers_records_nothing(client, sent, outbox):
    reader = make_subscriber()
    link = click_links(edition_emails(outbox)[0])[0]
    assert client.get(f"{link}/{tokens.reader_tag(reader.pk)}").status_code == 302
    assert not ReaderClick.objects.exists()


def test_a_readers_clicks_are_in_their_export_and_go_with_erasure(client, tracked, outbox):
    _, readers = tracked
    message = edition_emails(outbox)[0]
    client.get(click_links(message)[1])
    reader = readers[message.to[0]]
    exported = subscriber_data(reader)["link_clicks"]
    assert [(c["edition"], c["link"]) for c in exported] == [
        ("JHOP Weekly: breast cancer", "http://testserver/articles/tls/")
    ]
    erase_subscriber(subscriber=reader, meta=RequestMeta())
    assert not ReaderClick.objects.exists()
    assert client.get(click_links(message)[1]).status_code == 302
    assert not ReaderClick.objects.exists()
    assert EditionLink.objects.get(url__endswith="/tls/").clicks == 2


def test_the_admin_shows_readers_who_clicked_and_explains_the_switch(
    client, manager, tracked, outbox
):
    edition, _ = tracked
    for message in edition_emails(outbox):
        client.get(click_links(message)[0])
    client.get(click_links(edition_emails(outbox)[0])[0])
    client.force_login(manager)
    page = client.get(reverse("admin:subscriptions_edition_change", args=[edition.pk]))
    assert re.search(r"Olaparib in early breast cancer</a></td><td>3</td><td>2</td>", page.text)
    assert "This list records which reader clicked" in page.text
    form = client.get(
        reverse("admin:subscriptions_mailinglist_change", args=[edition.mailing_list_id])
    )
    assert "Record which reader clicked" in form.text
    assert "Apple Mail Privacy Protection" in form.text


def test_the_edition_page_charts_its_figures_and_its_clicks(client, manager, sent, outbox):
    for _ in range(3):
        client.get(click_links(edition_emails(outbox)[0])[1])
    client.get(click_links(edition_emails(outbox)[0])[0])
    client.force_login(manager)
    page = client.get(reverse("admin:subscriptions_edition_change", args=[sent.pk])).text
    figures = re.search(r'<svg class="bar-chart" role="img" aria-label="([^"]+)"', page)
    assert figures[1] == ("Emails of this edition: Sent 2; Bounced 0; Complained 0; Unsubscribed 0")
    clicks = re.findall(r'<svg class="bar-chart" role="img" aria-label="([^"]+)"', page)[1]
    assert clicks == (
        "Clicks per link: Tumor lysis syndrome prophylaxis 3; Olaparib in early breast cancer 1"
    )
    # Bars are scaled to the largest: 3 clicks fill the 300 units, 1 click a third.
    assert '<rect x="220" y="4" width="300.0"' in page
    assert '<rect x="220" y="30" width="100.0"' in page
