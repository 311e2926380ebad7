import re

from django.urls import reverse

from subscriptions.forms import form_stamp
from subscriptions.models import ConsentText

ADDRESS = {
    "address_line1": "1 Main Street",
    "city": "Philadelphia",
    "region": "PA",
    "postal_code": "19103",
    "country": "US",
}


def signup_data(*lists, **overrides):
    data = {
        "email": "ada@example.com",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "profession": "pharmacist",
        "organization": "General Hospital",
        "lists": [str(m.pk) for m in lists],
        "consent_text": str(ConsentText.objects.latest().pk),
        "started": form_stamp(),
        "website": "",
    }
    data.update(overrides)
    return data


def post_signup(client, *lists, **overrides):
    return client.post(reverse("subscriptions:subscribe"), signup_data(*lists, **overrides))


def link_in(message, name: str) -> str:
    """The path of the first /subscribe/<name>/... link in an email's text part."""
    match = re.search(rf"http://testserver(/subscribe/{name}/[^/\s]+/)", message.body)
    assert match, message.body
    return match.group(1)
