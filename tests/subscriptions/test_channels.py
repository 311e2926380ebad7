"""Email and print are separate channels: leaving one, by whatever way, keeps the other."""

# The preference-centre fixtures of test_links are used here by name.
# ruff: noqa: F811

import pytest
from django.test import Client

from subscriptions.models import ConsentEvent
from subscriptions.services.delivery import unsubscribe_by_email

from .test_links import active_ada, ada, preferences, statuses, url  # noqa: F401

pytestmark = pytest.mark.django_db

BOTH = {"jhop-e-newsletter": "active", "jhop-print-edition": "active"}


def test_leaving_print_by_its_emailed_link_keeps_the_newsletter(
    client,
    active_ada,
    print_edition,
):
    client.post(url("unsubscribe", active_ada, mailing_list=print_edition))
    assert statuses(active_ada) == {**BOTH, "jhop-print-edition": "unsubscribed"}


@pytest.mark.parametrize(
    ("kept", "left"),
    [("jhop-e-newsletter", "jhop-print-edition"), ("jhop-print-edition", "jhop-e-newsletter")],
)
def test_the_preference_centre_ends_only_the_list_unticked(
    client,
    active_ada,
    newsletter,
    print_edition,
    kept,
    left,
):
    keep = newsletter if kept == newsletter.slug else print_edition
    assert client.post(url("manage", active_ada), preferences([keep])).status_code == 302
    assert statuses(active_ada) == {kept: "active", left: "unsubscribed"}


def test_an_unsubscribe_email_naming_no_list_ends_email_lists_only(
    active_ada,
    settings,
    outbox,
):
    settings.SUBSCRIPTIONS_UNSUBSCRIBE_MAILTO = "unsubscribe@jhop.example"
    left = unsubscribe_by_email(
        esp="Postmark",
        sender=active_ada.email,
        to=["unsubscribe@jhop.example"],
        subject="unsubscribe",
    )
    assert [m.slug for m in left] == ["jhop-e-newsletter"]
    assert statuses(active_ada) == {**BOTH, "jhop-e-newsletter": "unsubscribed"}
    assert active_ada.events.get(kind=ConsentEvent.Kind.UNSUBSCRIBED).source == "mailto"


def test_one_click_from_an_email_naming_no_list_keeps_print(active_ada):
    response = Client(enforce_csrf_checks=True).post(
        url("unsubscribe", active_ada),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert statuses(active_ada) == {**BOTH, "jhop-e-newsletter": "unsubscribed"}
