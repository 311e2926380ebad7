"""Addresses a mail server would refuse or that point at a machine are refused, clearly."""

import pytest
from django.urls import reverse

from subscriptions import services
from subscriptions.exports import read_csv
from subscriptions.models import OutboundEmail, Subscriber
from subscriptions.services import RequestMeta

from .factories import lists
from .helpers import post_signup

pytestmark = pytest.mark.django_db

REFUSED = {
    "a" * 65 + "@example.com": "at most 64 characters",
    "user@localhost": "full domain name",
    "user@intranet": "full domain name",
    "user@[127.0.0.1]": "not at an IP address",
    "user@[IPv6:::1]": "not at an IP address",
}


@pytest.mark.parametrize("email", list(REFUSED))
def test_signup_refuses_the_address_with_a_clear_message(client, newsletter, email):
    response = post_signup(client, newsletter, email=email)
    assert response.status_code == 200
    assert REFUSED[email] in response.context["form"].errors["email"][0]
    assert not Subscriber.objects.exists() and not OutboundEmail.objects.exists()


def test_the_longest_allowed_local_part_is_accepted(client, newsletter):
    email = "a" * 64 + "@example.com"
    assert post_signup(client, newsletter, email=email).status_code == 302
    assert Subscriber.objects.get().email == email


@pytest.mark.parametrize("email", ["user@localhost", "user@[127.0.0.1]", "x" * 65 + "@a.org"])
def test_manage_link_form_and_import_refuse_it_too(client, email):
    response = client.post(reverse("subscriptions:manage-request"), {"email": email})
    assert response.status_code == 200
    assert response.context["form"].errors["email"]
    lists()
    rows = read_csv(f"email,first_name,last_name,lists\n{email},A,B,jhop-e-newsletter\n")
    report = services.import_subscribers(
        rows=rows, source="sheet", dry_run=False, meta=RequestMeta()
    )
    assert report.new == 0 and len(report.invalid) == 1
    assert not Subscriber.objects.exists()
