"""Newsletter editions: composed from published articles, sent once to each member."""

import os
import subprocess
from datetime import timedelta
from unittest import mock

import pytest
from django.contrib.auth.models import Group, User
from django.core.exceptions import ValidationError
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from articles.models import Article
from subscriptions.models import (
    ConsentEvent,
    DeliveryEvent,
    Edition,
    EditionArticle,
    OutboundEmail,
    Subscription,
)
from subscriptions.services import editions
from tests.factories import make_article, make_author

from .factories import lists, make_subscriber

pytestmark = pytest.mark.django_db
SETTINGS_MAILTO = "unsubscribe@jhop.example"


@pytest.fixture
def articles():
    return [
        make_article(
            title="Olaparib in early breast cancer",
            slug="olaparib",
            standfirst="<p>What the OlympiA trial means for pharmacists.</p>",
            authors=[make_author(given_name="Meg", family_name="Barbor", credentials="MPH")],
        ),
        make_article(title="Tumor lysis syndrome prophylaxis", slug="tls"),
    ]


@pytest.fixture
def manager():
    user = User.objects.create_user("lists", email="lists@example.org", password="x", is_staff=True)
    user.groups.add(Group.objects.get(name="Subscription managers"))
    return user


def compose(articles, mailing_list, **kw) -> Edition:
    edition = Edition.objects.create(
        mailing_list=mailing_list,
        subject=kw.pop("subject", "JHOP Weekly: breast cancer"),
        intro=kw.pop("intro", "This week in JHOP.\n\nTwo articles for you."),
        **kw,
    )
    for position, article in enumerate(articles, start=1):
        EditionArticle.objects.create(edition=edition, article=article, position=position)
    return edition


def edition_emails(outbox):
    return [m for m in outbox if m.subject.startswith("JHOP Weekly")]


def test_each_active_confirmed_member_gets_it_once(
    articles, outbox, django_capture_on_commit_callbacks
):
    newsletter, print_edition = lists()
    members = [make_subscriber(lists=[newsletter]) for _ in range(3)]
    make_subscriber(lists=[newsletter], status=Subscription.Status.PENDING)
    make_subscriber(lists=[newsletter], status=Subscription.Status.UNSUBSCRIBED)
    make_subscriber(lists=[print_edition])
    edition = compose(articles, newsletter)
    with django_capture_on_commit_callbacks(execute=True):
        editions.send_edition(edition=edition, user=None)
    assert sorted(m.to[0] for m in edition_emails(outbox)) == sorted(s.email for s in members)
    edition.refresh_from_db()
    assert edition.status == Edition.Status.SENT and edition.recipients == 3


def test_the_email_has_both_parts_headers_and_footer(
    articles, outbox, django_capture_on_commit_callbacks
):
    newsletter, _ = lists()
    make_subscriber(lists=[newsletter], email="reader@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        editions.send_edition(edition=compose(articles, newsletter), user=None)
    message = edition_emails(outbox)[0]
    html = message.alternatives[0][0]
    # The articles in the managers' order, in both parts, with absolute links.
    assert html.index("Olaparib") < html.index("Tumor lysis")
    assert message.body.index("Olaparib") < message.body.index("Tumor lysis")
    assert 'href="http://testserver/' in html and "http://testserver/" in message.body
    assert "What the OlympiA trial means" in message.body and "<p>" not in message.body
    assert "Two articles for you." in message.body and "Two articles for you." in html
    # CSS inlined for mail clients that drop <style>; layout in tables.
    assert 'role="presentation"' in html and 'style="' in html
    assert "max-width: 600px" in html
    # Why the reader gets it and how to stop, with the postal address.
    for part in (html, message.body):
        assert "your address is on our JHOP e-Newsletter list" in part
        assert "/subscribe/unsubscribe/" in part
    headers = message.extra_headers
    https, mailto = (v.strip().strip("<>") for v in headers["List-Unsubscribe"].split(","))
    assert https.startswith("http://testserver/subscribe/unsubscribe/")
    assert mailto.startswith("mailto:") and "subject=unsubscribe" in mailto
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert headers["List-Id"] == '"JHOP e-Newsletter" <jhop-e-newsletter.list-id.testserver>'


def test_unpublished_articles_are_never_sent(outbox, django_capture_on_commit_callbacks):
    newsletter, _ = lists()
    make_subscriber(lists=[newsletter])
    live = make_article(title="Live article")
    draft = make_article(title="Secret draft", status=Article.Status.DRAFT)
    edition = compose([live, draft], newsletter)
    with django_capture_on_commit_callbacks(execute=True):
        editions.send_edition(edition=edition, user=None)
    (message,) = edition_emails(outbox)
    assert "Live article" in message.body and "Secret draft" not in message.body
    assert "Secret draft" not in message.alternatives[0][0]


def test_an_edition_without_published_articles_is_refused(django_capture_on_commit_callbacks):
    newsletter, _ = lists()
    edition = compose([make_article(status=Article.Status.DRAFT)], newsletter)
    with pytest.raises(ValidationError, match="at least one published article"):
        editions.send_edition(edition=edition, user=None)
    assert Edition.objects.get().status == Edition.Status.DRAFT


def test_two_presses_of_send_send_it_once(articles, outbox, django_capture_on_commit_callbacks):
    newsletter, _ = lists()
    make_subscriber(lists=[newsletter])
    edition = compose(articles, newsletter)
    with django_capture_on_commit_callbacks(execute=True):
        editions.send_edition(edition=edition, user=None)
        with pytest.raises(ValidationError, match="already been sent"):
            editions.send_edition(edition=edition, user=None)
    assert len(edition_emails(outbox)) == 1


def test_a_build_cut_short_is_finished_by_resuming_without_duplicates(
    articles, outbox, django_capture_on_commit_callbacks
):
    newsletter, _ = lists()
    members = [make_subscriber(lists=[newsletter]) for _ in range(5)]
    edition = compose(articles, newsletter)
    # The worker dies after the first chunk of 2 was recorded and sent.
    calls = {"n": 0}
    real = editions.bulk._record_chunk

    def die_after_first_chunk(*args, **kwargs):
        if calls["n"] == 1:
            raise SystemExit("worker killed")
        calls["n"] += 1
        return real(*args, **kwargs)

    with (
        mock.patch("subscriptions.services.bulk.CHUNK_SIZE", 2),
        mock.patch("subscriptions.services.bulk._record_chunk", die_after_first_chunk),
        django_capture_on_commit_callbacks(execute=True),
    ):
        editions.send_edition(edition=edition, user=None)  # the task dies (recorded failed)
    assert len(edition_emails(outbox)) == 2
    edition.refresh_from_db()
    assert edition.status == Edition.Status.SENDING  # stranded, visibly
    with django_capture_on_commit_callbacks(execute=True):
        assert editions.resume_edition(edition=edition)
    assert sorted(m.to[0] for m in edition_emails(outbox)) == sorted(s.email for s in members)
    edition.refresh_from_db()
    assert edition.status == Edition.Status.SENT and edition.recipients == 5


def test_a_paused_edition_sends_nothing_until_resumed(
    articles, outbox, django_capture_on_commit_callbacks
):
    newsletter, _ = lists()
    members = [make_subscriber(lists=[newsletter]) for _ in range(4)]
    edition = compose(articles, newsletter)
    calls = {"n": 0}
    real = editions.bulk._record_chunk

    def pause_after_first_chunk(owner, *args, **kwargs):
        result = real(owner, *args, **kwargs)
        calls["n"] += 1
        if calls["n"] == 1:
            editions.pause_edition(edition=owner)
        return result

    with (
        mock.patch("subscriptions.services.bulk.CHUNK_SIZE", 2),
        mock.patch("subscriptions.services.bulk._record_chunk", pause_after_first_chunk),
        django_capture_on_commit_callbacks(execute=True),
    ):
        editions.send_edition(edition=edition, user=None)
    edition.refresh_from_db()
    assert edition.status == Edition.Status.PAUSED
    assert edition.emails.count() == 2 and edition_emails(outbox) == []  # held back
    with django_capture_on_commit_callbacks(execute=True):
        editions.resume_edition(edition=edition)
    assert sorted(m.to[0] for m in edition_emails(outbox)) == sorted(s.email for s in members)


def test_a_scheduled_edition_goes_at_its_time_and_can_be_cancelled_until_then(
    articles, settings, outbox, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    from django_tasks_db.models import DBTaskResult

    newsletter, _ = lists()
    make_subscriber(lists=[newsletter])
    edition = compose(articles, newsletter)
    when = timezone.now() + timedelta(hours=2)
    with django_capture_on_commit_callbacks(execute=True):
        editions.schedule_edition(edition=edition, when=when, user=None)
    task = DBTaskResult.objects.get()
    assert task.run_after == when
    assert task.task_path == "subscriptions.services.editions.start_scheduled_edition"
    args = task.args_kwargs["args"]
    # Run early (a clock skew), it does nothing.
    assert editions.start_scheduled_edition.call(*args) == "not due (cancelled or rescheduled)"
    # Cancelled: the task finds nothing to do at its time.
    assert editions.cancel_schedule(edition=edition)
    with mock.patch("django.utils.timezone.now", return_value=when + timedelta(seconds=1)):
        assert editions.start_scheduled_edition.call(*args).startswith("not due")
    assert Edition.objects.get().status == Edition.Status.DRAFT
    # Scheduled again: at its time it starts.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    with django_capture_on_commit_callbacks(execute=True):
        editions.schedule_edition(edition=edition, when=when, user=None)
    args = DBTaskResult.objects.order_by("enqueued_at").last().args_kwargs["args"]
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    with (
        mock.patch("django.utils.timezone.now", return_value=when + timedelta(seconds=1)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert editions.start_scheduled_edition.call(*args) == "1 email(s) recorded"
    assert Edition.objects.get().status == Edition.Status.SENT
    assert len(edition_emails(outbox)) == 1


def test_suggestions_are_what_was_published_since_the_last_edition(articles):
    newsletter, _ = lists()
    last = compose([], newsletter, status=Edition.Status.SENT)
    Edition.objects.filter(pk=last.pk).update(started_at=timezone.now() - timedelta(hours=36))
    fresh = make_article(title="Fresh", published_at=timezone.now() - timedelta(hours=2))
    make_article(title="Draft", status=Article.Status.DRAFT)
    # The fixture's articles were published a day ago, after the last edition too.
    assert set(editions.suggested_articles(newsletter)) == {fresh, *articles}
    Edition.objects.filter(pk=last.pk).update(started_at=timezone.now() - timedelta(hours=3))
    assert editions.suggested_articles(newsletter) == [fresh]


def unsubscribe_link(message) -> str:
    """The footer's unsubscribe link of a sent email (the same as List-Unsubscribe's)."""
    (line,) = [x for x in message.body.splitlines() if x.startswith("Unsubscribe: ")]
    link = line.removeprefix("Unsubscribe: http://testserver")
    assert f"<http://testserver{link}>" in message.extra_headers["List-Unsubscribe"]
    return link


def test_counts_per_edition(client, articles, outbox, django_capture_on_commit_callbacks):
    newsletter, _ = lists()
    readers = [make_subscriber(lists=[newsletter]) for _ in range(5)]
    edition = compose(articles, newsletter)
    with django_capture_on_commit_callbacks(execute=True):
        editions.send_edition(edition=edition, user=None)
    emails_by_reader = {e.subscriber_id: e for e in edition.emails.all()}
    bounced, complained, leaver, failed = (emails_by_reader[r.pk] for r in readers[:4])
    for email, kind in ((bounced, "bounced"), (complained, "complained")):
        DeliveryEvent.objects.create(
            esp="Postmark", event_id=kind, event_type=kind, recipient=email.to_email,
            outbound_email=email,
        )  # fmt: skip
    (message,) = [m for m in edition_emails(outbox) if m.to == [leaver.to_email]]
    client.post(unsubscribe_link(message), {"List-Unsubscribe": "One-Click"})
    client.post(unsubscribe_link(message), {"List-Unsubscribe": "One-Click"})  # twice: one
    OutboundEmail.objects.filter(pk=failed.pk).update(status=OutboundEmail.Status.FAILED)
    counted = editions.with_counts(Edition.objects.all()).get()
    assert (
        counted.queued_count,
        counted.sent_count,
        counted.failed_count,
        counted.bounced_count,
        counted.complained_count,
        counted.unsubscribed_count,
    ) == (0, 4, 1, 1, 1, 1)


def test_an_unsubscribe_counts_for_the_edition_whose_link_was_used(
    client, manager, articles, outbox, django_capture_on_commit_callbacks
):
    newsletter, _ = lists()
    early, late = make_subscriber(lists=[newsletter]), make_subscriber(lists=[newsletter])
    first = compose(articles, newsletter, subject="JHOP Weekly 1")
    second = compose(articles, newsletter, subject="JHOP Weekly 2")
    with django_capture_on_commit_callbacks(execute=True):
        editions.send_edition(edition=first, user=None)
    links = {m.to[0]: unsubscribe_link(m) for m in edition_emails(outbox)}
    with django_capture_on_commit_callbacks(execute=True):
        editions.send_edition(edition=second, user=None)
    # The second edition reached both; one of them leaves through the first one's link.
    client.post(links[early.email])
    counts = {e.subject: e.unsubscribed_count for e in editions.with_counts(Edition.objects)}
    assert counts == {"JHOP Weekly 1": 1, "JHOP Weekly 2": 0}
    event = early.events.get(kind=ConsentEvent.Kind.UNSUBSCRIBED)
    assert event.edition == first and event.source == ConsentEvent.Source.UNSUBSCRIBE_LINK
    assert late.subscriptions.get().status == Subscription.Status.ACTIVE
    # Managers see it in the subscriber's history.
    client.force_login(manager)
    page = client.get(reverse("admin:subscriptions_subscriber_change", args=[early.pk]))
    assert "JHOP Weekly 1" in page.content.decode()
    assert "JHOP Weekly 2" not in page.content.decode()


def test_a_link_rewritten_to_name_another_edition_is_refused(
    client, articles, outbox, django_capture_on_commit_callbacks
):
    from django.core import signing

    newsletter, _ = lists()
    reader = make_subscriber(lists=[newsletter])
    first = compose(articles, newsletter, subject="JHOP Weekly 1")
    other = compose(articles, newsletter, subject="JHOP Weekly 2")
    with django_capture_on_commit_callbacks(execute=True):
        editions.send_edition(edition=first, user=None)
    link = unsubscribe_link(edition_emails(outbox)[0])
    prefix, token, _ = link.rsplit("/", 2)
    payload = signing.loads(token, salt="subscriptions.token.unsubscribe")
    assert payload["e"] == first.pk  # readable, as every signed token is, but not writable
    # The payload rewritten to name the other edition, with the original signature.
    forged = signing.dumps({**payload, "e": other.pk}, compress=True).split(":")[0]
    signature = token.split(":", 1)[1]
    assert client.post(f"{prefix}/{forged}:{signature}/").status_code == 400
    assert reader.subscriptions.get().status == Subscription.Status.ACTIVE
    assert not ConsentEvent.objects.filter(kind=ConsentEvent.Kind.UNSUBSCRIBED).exists()


def test_links_from_before_editions_were_named_still_unsubscribe(client, newsletter):
    from subscriptions import emails
    from subscriptions.tokens import Purpose

    reader = make_subscriber(lists=[newsletter])
    old_link = emails.link(Purpose.UNSUBSCRIBE, reader, newsletter)  # no edition in it
    response = client.post(old_link.removeprefix("http://testserver"))
    assert response.status_code == 200
    assert reader.subscriptions.get().status == Subscription.Status.UNSUBSCRIBED
    assert reader.events.get(kind=ConsentEvent.Kind.UNSUBSCRIBED).edition is None


def test_the_mailto_names_the_edition_signed(
    articles, outbox, settings, django_capture_on_commit_callbacks
):
    from urllib.parse import unquote

    from subscriptions.services.delivery import unsubscribe_by_email

    settings.SUBSCRIPTIONS_UNSUBSCRIBE_MAILTO = SETTINGS_MAILTO
    newsletter, _ = lists()
    reader, other = make_subscriber(lists=[newsletter]), make_subscriber(lists=[newsletter])
    first = compose(articles, newsletter, subject="JHOP Weekly 1")
    second = compose(articles, newsletter, subject="JHOP Weekly 2")
    with django_capture_on_commit_callbacks(execute=True):
        editions.send_edition(edition=first, user=None)
    header = edition_emails(outbox)[0].extra_headers["List-Unsubscribe"]
    subject = unquote(header.split("subject=")[1].rstrip(">"))
    slug, tag = subject.split()[1:]
    assert slug == "jhop-e-newsletter" and tag.startswith(f"e{first.pk}:")
    # A tag edited to name another edition counts for none (the reader still leaves).
    forged = f"unsubscribe {slug} e{second.pk}:{tag.split(':')[1]}"
    unsubscribe_by_email(esp="Postmark", sender=other.email, to=[SETTINGS_MAILTO], subject=forged)
    unsubscribe_by_email(esp="Postmark", sender=reader.email, to=[SETTINGS_MAILTO], subject=subject)
    counts = {e.subject: e.unsubscribed_count for e in editions.with_counts(Edition.objects)}
    assert counts == {"JHOP Weekly 1": 1, "JHOP Weekly 2": 0}
    assert other.subscriptions.get().status == Subscription.Status.UNSUBSCRIBED


def test_unsubscribes_logged_before_the_change_are_given_their_edition(
    articles, outbox, django_capture_on_commit_callbacks
):
    import importlib

    from django.apps import apps

    migration = importlib.import_module(
        "subscriptions.migrations.0010_unsubscribes_name_their_edition"
    )
    newsletter, _ = lists()
    reader = make_subscriber(lists=[newsletter])
    first = compose(articles, newsletter, subject="JHOP Weekly 1")
    with django_capture_on_commit_callbacks(execute=True):
        editions.send_edition(edition=first, user=None)
    left = ConsentEvent.objects.create(
        subscriber=reader,
        kind=ConsentEvent.Kind.UNSUBSCRIBED,
        source=ConsentEvent.Source.ONE_CLICK,
        created_at=timezone.now() + timedelta(minutes=5),
    )
    by_hand = ConsentEvent.objects.create(
        subscriber=reader,
        kind=ConsentEvent.Kind.UNSUBSCRIBED,
        source=ConsentEvent.Source.PREFERENCES,
        created_at=timezone.now() + timedelta(minutes=6),
    )
    migration.name_the_editions(apps, None)
    left.refresh_from_db()
    by_hand.refresh_from_db()
    assert left.edition == first and by_hand.edition is None


def test_the_changelist_costs_the_same_queries_for_1_or_5_editions(
    client, manager, articles, django_capture_on_commit_callbacks
):
    newsletter, _ = lists()
    make_subscriber(lists=[newsletter])
    client.force_login(manager)
    url = reverse("admin:subscriptions_edition_changelist")

    def queries():
        from django.db import connection

        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx)

    with django_capture_on_commit_callbacks(execute=True):
        editions.send_edition(edition=compose(articles, newsletter), user=manager)
    client.get(url)  # a session's first admin request also looks up the second factor
    one = queries()
    for _ in range(4):
        compose(articles, newsletter)
    assert queries() == one


# The admin -----------------------------------------------------------------------------


def test_the_add_page_suggests_whats_new(client, manager, articles):
    lists()
    client.force_login(manager)
    page = client.get(reverse("admin:subscriptions_edition_add"))
    assert page.status_code == 200
    initial = [f.initial.get("article") for f in page.context["inline_admin_formsets"][0].formset]
    assert set(initial[:2]) == {a.pk for a in articles}


def test_a_manager_composes_previews_tests_and_sends(
    client, manager, articles, outbox, django_capture_on_commit_callbacks
):
    newsletter, _ = lists()
    make_subscriber(lists=[newsletter], email="reader@example.com")
    client.force_login(manager)
    response = client.post(
        reverse("admin:subscriptions_edition_add"),
        {
            "mailing_list": newsletter.pk,
            "subject": "JHOP Weekly: June",
            "intro": "Hello readers.",
            "items-TOTAL_FORMS": "2",
            "items-INITIAL_FORMS": "0",
            "items-0-article": articles[1].pk,
            "items-0-position": "1",
            "items-1-article": articles[0].pk,
            "items-1-position": "2",
        },
    )
    assert response.status_code == 302, response.context["errors"] if response.context else ""
    edition = Edition.objects.get()
    assert edition.created_by == manager
    html = client.get(reverse("admin:subscriptions_edition_preview_html", args=[edition.pk]))
    assert html.text.index("Tumor lysis") < html.text.index("Olaparib")
    assert "'unsafe-inline'" in html["Content-Security-Policy"]
    text = client.get(reverse("admin:subscriptions_edition_preview_text", args=[edition.pk]))
    assert text["Content-Type"] == "text/plain; charset=utf-8" and "Hello readers." in text.text

    client.post(reverse("admin:subscriptions_edition_send_test", args=[edition.pk]))
    (test,) = outbox
    assert test.to == ["lists@example.org"] and test.subject.startswith("[Test] ")
    assert not edition.emails.exists()  # a test counts nowhere

    send_url = reverse("admin:subscriptions_edition_send", args=[edition.pk])
    confirm = client.get(send_url)  # the button opens a page; nothing goes yet
    assert "1 active, confirmed or imported member will get it now" in confirm.text
    assert "JHOP Weekly: June" in confirm.text and "JHOP e-Newsletter" in confirm.text
    assert client.post(send_url).status_code == 200  # a POST without the page's confirm
    assert Edition.objects.get().status == Edition.Status.DRAFT and len(outbox) == 1
    client.post(send_url, {"confirm": "yes"})
    assert [m.to for m in outbox[1:]] == [["reader@example.com"]]
    change = client.get(reverse("admin:subscriptions_edition_change", args=[edition.pk]))
    assert "Handed to the sender" in change.text
    history = client.get(reverse("admin:subscriptions_edition_history", args=[edition.pk]))
    assert "is being sent to JHOP e-Newsletter" in history.text and "lists" in history.text


def test_scheduling_goes_through_the_same_confirmation(client, manager, articles, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    newsletter, _ = lists()
    make_subscriber(lists=[newsletter])
    edition = compose(articles, newsletter)
    client.force_login(manager)
    url = reverse("admin:subscriptions_edition_schedule", args=[edition.pk])
    when = (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    page = client.post(url, {"when": when})
    assert page.status_code == 200
    assert "would get it if it went now" in page.text and edition.subject in page.text
    assert Edition.objects.get().status == Edition.Status.DRAFT
    client.post(url, {"when": when, "confirm": "yes"})
    assert Edition.objects.get().status == Edition.Status.SCHEDULED


def test_editors_cannot_see_editions_or_send(client, articles, outbox):
    newsletter, _ = lists()
    make_subscriber(lists=[newsletter])
    edition = compose(articles, newsletter)
    editor = User.objects.create_user("desk", password="x", is_staff=True)
    editor.groups.add(Group.objects.get(name="Editors"))
    client.force_login(editor)
    for name in ("changelist", "add"):
        assert client.get(reverse(f"admin:subscriptions_edition_{name}")).status_code == 403
    for name in ("send", "send_test", "preview_html"):
        url = reverse(f"admin:subscriptions_edition_{name}", args=[edition.pk])
        assert client.post(url).status_code == 403
    assert Edition.objects.get().status == Edition.Status.DRAFT and outbox == []


def test_composing_without_the_send_permission_cannot_send(client, articles, outbox):
    newsletter, _ = lists()
    make_subscriber(lists=[newsletter])
    edition = compose(articles, newsletter)
    composer = User.objects.create_user("composer", password="x", is_staff=True)
    composer.user_permissions.set(
        Group.objects.get(name="Subscription managers")
        .permissions.filter(codename__endswith="edition")
        .exclude(codename="send_edition")
    )
    client.force_login(composer)
    change = client.get(reverse("admin:subscriptions_edition_change", args=[edition.pk]))
    assert change.status_code == 200 and "Send me a test" not in change.text
    assert "needs the “send newsletter editions” permission" in change.text
    url = reverse("admin:subscriptions_edition_send", args=[edition.pk])
    assert client.post(url).status_code == 403
    assert outbox == []


@pytest.mark.skipif(
    not os.environ.get("VNU_JAR") and not os.environ.get("CI"),
    reason="set VNU_JAR to the Nu Html Checker jar (CI installs it)",
)
def test_the_html_part_passes_the_nu_html_checker(
    articles, outbox, tmp_path, django_capture_on_commit_callbacks
):
    newsletter, _ = lists()
    make_subscriber(lists=[newsletter])
    Article.objects.filter(pk=articles[0].pk).update(
        lead_image="articles/olaparib.jpg", lead_image_alt="Olaparib tablets"
    )
    with django_capture_on_commit_callbacks(execute=True):
        editions.send_edition(edition=compose(articles, newsletter), user=None)
    html = edition_emails(outbox)[0].alternatives[0][0]
    assert 'alt="Olaparib tablets"' in html and 'src="http://testserver/media/' in html
    path = tmp_path / "edition.html"
    path.write_text(html, encoding="utf-8")
    result = subprocess.run(
        ["java", "-jar", os.environ["VNU_JAR"], "--errors-only", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_each_reader_gets_their_own_working_unsubscribe_link(
    client, articles, outbox, django_capture_on_commit_callbacks
):
    newsletter, print_edition = lists()
    first = make_subscriber(lists=[newsletter, print_edition])
    second = make_subscriber(lists=[newsletter])
    with django_capture_on_commit_callbacks(execute=True):
        editions.send_edition(edition=compose(articles, newsletter), user=None)
    by_reader = {m.to[0]: m for m in edition_emails(outbox)}
    links = {}
    for email, message in by_reader.items():
        (line,) = [x for x in message.body.splitlines() if x.startswith("Unsubscribe: ")]
        links[email] = line.removeprefix("Unsubscribe: http://testserver")
        assert links[email] in message.alternatives[0][0]
        assert links[email] in message.extra_headers["List-Unsubscribe"]
        assert "SLOT" not in message.body + message.alternatives[0][0]
    assert links[first.email] != links[second.email]
    client.post(links[first.email], data={"List-Unsubscribe": "One-Click"})
    statuses = dict(first.subscriptions.values_list("mailing_list__slug", "status"))
    assert statuses == {"jhop-e-newsletter": "unsubscribed", "jhop-print-edition": "active"}
    assert second.subscriptions.get().status == Subscription.Status.ACTIVE
