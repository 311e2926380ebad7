"""Reference look-up from a DOI or PMID, against a fake metadata service on 127.0.0.1."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest
from django.urls import reverse

from articles import lookup
from tests.factories import make_article

CROSSREF_WORK = {
    "message": {
        "DOI": "10.3390/cancers13020332",
        "title": ["CDK4/6 inhibitor treatments in patients with advanced breast cancer"],
        "author": [
            {"given": "Marcello", "family": "Roberto"},
            {"given": "Antonio", "family": "Astone"},
            {"given": "Andrea", "family": "Botticelli"},
            {"given": "Luca", "family": "Carbognin"},
            {"given": "Alessandra", "family": "Cassano"},
            {"given": "Giulia", "family": "D'Auria"},
            {"given": "Agnese", "family": "Fabbri"},
        ],
        "short-container-title": ["Cancers"],
        "container-title": ["Cancers"],
        "issued": {"date-parts": [[2021, 1, 15]]},
        "volume": "13",
        "issue": "2",
        "page": "332",
    }
}
PUBMED_SUMMARY = {
    "result": {
        "uids": ["34725098"],
        "34725098": {
            "title": "Mechanisms of resistance to CDK4/6 blockade in advanced breast cancer.",
            "authors": [
                {"name": "Lloyd MR", "authtype": "Author"},
                {"name": "Spring LM", "authtype": "Author"},
                {"name": "Bardia A", "authtype": "Author"},
                {"name": "Wander SA", "authtype": "Author"},
            ],
            "source": "Clin Cancer Res",
            "pubdate": "2022 Feb 15",
            "volume": "28",
            "issue": "5",
            "pages": "821-830",
            "articleids": [
                {"idtype": "pubmed", "value": "34725098"},
                {"idtype": "doi", "value": "10.1158/1078-0432.CCR-21-2947"},
            ],
        },
    }
}


class FakeMetadata(BaseHTTPRequestHandler):
    def do_GET(self):
        url = urlparse(self.path)
        if url.path == "/works/10.3390/cancers13020332":
            body = CROSSREF_WORK
        elif url.path == "/esummary.fcgi" and parse_qs(url.query)["id"] == ["34725098"]:
            body = PUBMED_SUMMARY
        elif url.path == "/esummary.fcgi":
            body = {"result": {"uids": []}}
        else:
            self.send_error(404)
            return
        payload = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture
def service(settings):
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeMetadata)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    settings.REFERENCE_LOOKUP_CROSSREF_URL = base
    settings.REFERENCE_LOOKUP_PUBMED_URL = base
    yield base
    server.shutdown()
    server.server_close()


def test_off_by_default(settings):
    assert not lookup.is_enabled()
    with pytest.raises(lookup.MetadataLookupError, match="not set up"):
        lookup.lookup(doi="10.3390/cancers13020332")


def test_a_doi_gives_an_ama_citation(service):
    found = lookup.lookup(doi="https://doi.org/10.3390/cancers13020332.")
    assert found.doi == "10.3390/cancers13020332"
    assert found.citation == (
        "Roberto M, Astone A, Botticelli A, et al. CDK4/6 inhibitor treatments in patients "
        "with advanced breast cancer. Cancers. 2021;13(2):332."
    )


def test_a_pmid_gives_an_ama_citation_and_the_doi(service):
    found = lookup.lookup(pmid="PMID: 34725098")
    assert (found.pmid, found.doi) == ("34725098", "10.1158/1078-0432.CCR-21-2947")
    assert found.citation == (
        "Lloyd MR, Spring LM, Bardia A, Wander SA. Mechanisms of resistance to CDK4/6 blockade "
        "in advanced breast cancer. Clin Cancer Res. 2022;28(5):821-830."
    )


def test_unknown_identifiers_are_a_clear_message(service):
    with pytest.raises(lookup.MetadataLookupError, match="Not found"):
        lookup.lookup(doi="10.9999/nothing")
    with pytest.raises(lookup.MetadataLookupError, match="does not know PMID 1"):
        lookup.lookup(pmid="1")


@pytest.mark.django_db
def test_the_article_form_offers_look_up_only_when_configured(admin_client, settings):
    article = make_article(references=["A."])
    url = reverse("admin:articles_article_change", args=[article.pk])
    assert "reference_lookup.js" not in admin_client.get(url).text
    settings.REFERENCE_LOOKUP_CROSSREF_URL = "http://127.0.0.1:9"
    html = admin_client.get(url).text
    assert "reference_lookup.js" in html
    assert f'data-lookup-url="{reverse("admin:articles_article_lookup")}"' in html


@pytest.mark.django_db
def test_the_admin_look_up_answers_json(admin_client, service, client):
    url = reverse("admin:articles_article_lookup")
    answer = admin_client.get(url, {"doi": "10.3390/cancers13020332"}).json()
    assert answer["citation"].startswith("Roberto M, Astone A")
    assert admin_client.get(url, {"doi": "10.9999/x"}).json() == {"error": "Not found."}
    assert client.get(url).status_code == 302  # not for anonymous users
