"""Control characters (NUL above all: PostgreSQL refuses it in text) in a path or a query
string are a 400 before any view runs, with the site's page and no error report."""

import pytest
from django.core import mail
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    [
        "/oai?verb=ListRecords&metadataPrefix=oai_dc&set=%00",
        "/oai?verb=GetRecord&metadataPrefix=oai_dc&identifier=oai:x:%00",
        "/preview/%00/",
        "/preview/issue/%00/",
        "/articles/%00/",
        "/search/?q=%00",
        "/search/?q=breast&topic=%01",
        "/issues/?page=%00",
        "/subscribe/confirm/%00/",
        "/%00",
        "/topics/%1b/",
        "/search/?q=a%7fb",
    ],
)
def test_control_characters_in_path_or_query_are_a_400(url, settings):
    settings.ADMINS = [("Ops", "ops@example.org")]
    mail.outbox.clear()
    response = Client(raise_request_exception=False).get(url)
    assert response.status_code == 400
    assert "Bad request" in response.content.decode()
    assert mail.outbox == []


def test_a_post_with_a_control_character_in_the_query_is_a_400():
    response = Client().post("/subscribe/?source=%00", {"email": "a@example.com"})
    assert response.status_code == 400


def test_tabs_and_line_breaks_in_a_query_value_are_not_refused(client):
    assert client.get("/search/?q=breast%0Acancer%09x").status_code == 200
    assert client.get("/search/?q=caf%C3%A9").status_code == 200


@pytest.mark.parametrize("name", ["set", "metadataPrefix", "from", "identifier", "x\x01"])
def test_oai_posted_arguments_xml_cannot_carry_are_a_bad_argument(client, name):
    # POSTed, they pass the middleware (it reads the query string): the endpoint refuses them.
    data = {"verb": "ListRecords", "metadataPrefix": "oai_dc", name: "a\x00b"}
    response = client.post("/oai", data)
    assert response.status_code == 200
    assert b'code="badArgument"' in response.content
    assert b"\x00" not in response.content


def test_preview_tokens_that_cannot_be_tokens_are_not_looked_up(client):
    assert client.get("/preview/a.b/").status_code == 404
    assert client.get("/preview/issue/a%20b/").status_code == 404


@pytest.mark.parametrize(
    "request_kwargs",
    [
        {"path": "/", "HTTP_HOST": "scanner.example"},
        {"path": "/search/?" + "&".join(f"f{i}=1" for i in range(1200))},
        {"path": "/oai?" + "&".join(f"f{i}=1" for i in range(1200))},
    ],
)
def test_suspicious_requests_are_a_400_and_nobody_is_emailed(request_kwargs, settings):
    settings.ADMINS = [("Ops", "ops@example.org")]
    settings.DEBUG = False
    mail.outbox.clear()
    response = Client(raise_request_exception=False).get(**request_kwargs)
    assert response.status_code == 400
    assert mail.outbox == []
