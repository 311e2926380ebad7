"""The words of the edition and alert emails, editable by managers in the admin: a few
named placeholders and nothing else (no template tags that could reach other data)."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from subscriptions.models import EmailWording, Subscription
from subscriptions.services import editions

from .factories import lists, make_subscriber
from .test_editions import articles, compose, manager  # noqa: F401
from .test_issue_alerts import issue, send  # noqa: F401

# The fixtures of test_editions and test_issue_alerts are used here by name.
# ruff: noqa: F811

pytestmark = pytest.mark.django_db
ADD = "admin:subscriptions_emailwording_add"
PREVIEW = "admin:subscriptions_emailwording_preview"


@pytest.mark.parametrize(
    "text",
    [
        "{% load static %}{% debug %}",
        "{{ subscriber.email }}",
        "{{ list|upper }}",
        "Dear {{ first_name }}",  # an edition is one body for the whole list: no names
        "{{ secret_key }}",
        "Hello {{ list",
        "{# a comment #}",
    ],
)
def test_anything_but_the_offered_placeholders_is_refused(text):
    wording = EmailWording(kind="edition", subject="{{ subject }}", footer=text)
    with pytest.raises(ValidationError) as refused:
        wording.full_clean()
    message = " ".join(refused.value.message_dict["footer"])
    assert "{{ reason }}" in message  # says what may be used


def test_the_offered_placeholders_are_filled_in():
    wording = EmailWording(
        kind="issue_alert", subject="{{issue}} is out", intro="Hi {{ first_name }}", footer="x"
    )
    wording.full_clean()
    filled = wording.render({"issue": "June 2022", "first_name": "Meg"})
    assert (filled["subject"], filled["intro"]) == ("June 2022 is out", "Hi Meg")


def test_without_edited_words_the_emails_read_as_before(
    articles, outbox, django_capture_on_commit_callbacks
):
    newsletter, _ = lists()
    make_subscriber(lists=[newsletter])
    with django_capture_on_commit_callbacks(execute=True):
        editions.send_edition(edition=compose(articles, newsletter), user=None)
    (message,) = [m for m in outbox if m.subject == "JHOP Weekly: breast cancer"]
    assert (
        "You receive this because your address is on our JHOP e-Newsletter list: you asked "
        "for it, or it came from an earlier list of ours." in message.body
    )


def test_a_manager_edits_the_edition_words_and_readers_get_them(
    client, manager, articles, outbox, django_capture_on_commit_callbacks
):
    newsletter, _ = lists()
    make_subscriber(lists=[newsletter])
    client.force_login(manager)
    response = client.post(
        reverse(ADD),
        {
            "kind": "edition",
            "subject": "[{{ list }}] {{ subject }}",
            "preheader": "Two articles from {{ site }}",
            "intro": "Fresh from the <desk> of {{ site }}.",
            "footer": "Thank you for reading.\nYou receive this because {{ reason }}.",
        },
    )
    assert response.status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        editions.send_edition(edition=compose(articles, newsletter), user=None)
    (message,) = [m for m in outbox if m.to[0] != "lists@example.org"]
    html = message.alternatives[0][0]
    assert message.subject == "[JHOP e-Newsletter] JHOP Weekly: breast cancer"
    assert "Fresh from the <desk> of " in message.body
    assert "Fresh from the &lt;desk&gt; of " in html and "<desk>" not in html
    assert "Thank you for reading.<br>You receive this because your address is on" in html
    assert "Two articles from " in html  # the hidden preheader
    assert "Thank you for reading.\nYou receive this because" in message.body


def test_a_broken_template_is_refused_with_a_message_and_nothing_is_saved(client, manager):
    client.force_login(manager)
    data = {"kind": "edition", "subject": "{{ subject }}", "footer": "{% debug %}"}
    response = client.post(reverse(ADD), data)
    assert response.status_code == 200
    assert "template tags, filters, comments and unclosed braces are refused" in response.text
    assert not EmailWording.objects.exists()


def test_the_preview_fills_in_sample_values_and_saves_nothing(client, manager):
    lists()
    client.force_login(manager)
    data = {"kind": "issue_alert", "subject": "New: {{ issue }}", "footer": "By {{ site }}."}
    page = client.post(reverse(PREVIEW), data)
    assert page.status_code == 200
    assert "New: JHOP - June 2022 Vol 12, No 3" in page.text
    broken = client.post(reverse(PREVIEW), {**data, "subject": "{{ issue.journal.name }}"})
    assert broken.status_code == 400 and "cannot be used" in broken.text
    assert client.get(reverse(PREVIEW)).status_code == 302
    assert not EmailWording.objects.exists()
    form = client.get(reverse(ADD) + "?kind=issue_alert")
    assert "New issue: {{ issue }}" in form.text and reverse(PREVIEW) in form.text


def test_alert_words_are_per_reader_and_honest_about_imports(
    issue, outbox, django_capture_on_commit_callbacks
):
    newsletter, _ = lists()
    EmailWording.objects.create(
        kind="issue_alert",
        subject="{{ issue }} for {{ first_name }}",
        intro="",
        footer="Sent by {{ site }}: {{ reason }}.",
    )
    meg = make_subscriber(lists=[newsletter], first_name="Meg")
    imported = make_subscriber(lists=[newsletter], first_name="Ana")
    Subscription.objects.filter(subscriber=imported).update(imported_at=timezone.now())
    send(issue, newsletter, django_capture_on_commit_callbacks)
    by_reader = {m.to[0]: m for m in outbox}
    assert by_reader[meg.email].subject.endswith(" for Meg")
    assert "you subscribed to JHOP e-Newsletter." in by_reader[meg.email].body
    assert "came to our JHOP e-Newsletter list from an earlier list" in (
        by_reader[imported.email].body
    )


def test_the_admin_pages_render(client, manager):
    EmailWording.objects.create(kind="edition", subject="{{ subject }}", footer="{{ reason }}")
    client.force_login(manager)
    assert client.get(reverse("admin:subscriptions_emailwording_changelist")).status_code == 200
    page = client.get(
        reverse("admin:subscriptions_emailwording_change", args=[EmailWording.objects.get().pk])
    )
    assert page.status_code == 200 and "{{ reason }}: why the reader gets it" in page.text
