"""The subscribers' changelist at list size: its search box and columns."""

import lxml.html
import pytest
from django.urls import reverse

from .factories import lists, make_subscriber

pytestmark = pytest.mark.django_db

URL = reverse("admin:subscriptions_subscriber_changelist")


@pytest.fixture
def manager(client, django_user_model):
    user = django_user_model.objects.create_superuser("manager", "m@example.com", "pw")
    client.force_login(user)
    return user


def emails(client, q: str) -> set[str]:
    response = client.get(URL, {"q": q})
    assert response.status_code == 200
    return {s.email for s in response.context["cl"].result_list}


def test_search_matches_a_word_in_any_field_and_every_word(client, manager):
    make_subscriber(
        email="ana.lee@mercy.example", first_name="Ana", last_name="Lee", city="Portland"
    )
    make_subscriber(email="bo@clinic.example", first_name="Bo", last_name="Smith", city="Salem")
    make_subscriber(email="cy@example.org", organization="Mercy 100 Health", postal_code="97201")
    assert emails(client, "MERCY") == {"ana.lee@mercy.example", "cy@example.org"}
    assert emails(client, "smith") == {"bo@clinic.example"}
    assert emails(client, "salem") == {"bo@clinic.example"}
    assert emails(client, "97201") == {"cy@example.org"}
    assert emails(client, "mercy portland") == {"ana.lee@mercy.example"}
    assert emails(client, '"ana lee"') == {"ana.lee@mercy.example"}
    assert emails(client, "100") == {"cy@example.org"}
    assert emails(client, "100%") == set()  # LIKE wildcards are matched as themselves


def test_country_column_shows_the_name(client, manager):
    newsletter, _ = lists()
    make_subscriber(lists=[newsletter], country="CA")
    make_subscriber(lists=[newsletter], country="")
    page = lxml.html.fromstring(client.get(URL).text)
    cells = [c.text_content().strip() for c in page.xpath("//td[@class='field-country_name']")]
    assert sorted(cells) == ["-", "Canada"]
