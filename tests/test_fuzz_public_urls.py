"""No request a stranger can send to a public URL is answered 5xx (property-based).

Every URL pattern outside the admin (the email-service webhooks mounted too) is filled with
real slugs and tokens or with hostile values (NUL, lone surrogates, huge and negative
numbers, very long strings, SQL and HTML fragments, invalid UTF-8), and sent by GET, HEAD
and POST with the query parameters and form fields the public views read, likewise
filled. Run on PostgreSQL too: it refuses NUL in text, which is where such 500s come from.
"""

import base64
import importlib
import json
import re
from urllib.parse import quote_from_bytes

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, clear_url_caches, get_resolver
from django.urls.resolvers import RegexPattern
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from articles.models import PreviewLink
from articles.reader.sitemaps import sitemaps
from subscriptions.tokens import Purpose, make_token
from tests.articles.site_data import build_site
from tests.subscriptions.factories import lists, make_subscriber

pytestmark = pytest.mark.django_db

SECRET = "hooks:fuzz-secret"

HOSTILE = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\ud800",
    "x\udfffy",
    "\x1b[31m",
    "\u202e",
    "😀",
    "-1",
    "0",
    "1.5",
    "1e309",
    "NaN",
    "99999999999999999999999999",
    "-99999999999999999999999999",
    "9" * 400,
    "x" * 5000,
    "' OR 1=1 --",
    '"; DROP TABLE articles_article; --',
    "<script>alert(1)</script>",
    "%00",
    "%",
    "../../../etc/passwd",
    "null",
    "[]",
    '{"a": [1, {"b": null}]}',
    "oai_dc",
    "jats",
    "topic:",
    "section:\x00",
    "issue:nope",
    "2022-06-16",
    "2022-13-45T25:61:61Z",
    "0000-00-00",
    "9999-12-31T23:59:59Z",
    "last",
]
# The query parameters and form fields the public views read (grep request.GET/POST, the
# forms and the OAI-PMH arguments), by the path they are read at; any path gets any of them.
FORM_FIELDS = [
    "email",
    "first_name",
    "last_name",
    "profession",
    "organization",
    "lists",
    "consent_text",
    "started",
    "website",
    "source",
    "country",
    "address_line1",
    "address_line2",
    "city",
    "postal_code",
    "region",
]
VIEW_PARAMETERS = {
    "/oai": ["verb", "metadataPrefix", "set", "from", "until", "resumptionToken", "identifier"],
    "/search/": ["q", "page", "topic", "section", "year", "sort"],
    "/sitemap": ["p"],
    "/subscribe/manage/": ["email", "unsubscribe_all", *FORM_FIELDS],
    "/subscribe/confirm/": ["email"],
    "/subscribe/unsubscribe/": ["List-Unsubscribe"],
    "/subscribe/": FORM_FIELDS,
    "/admin/login/": ["username", "password", "next"],
    "/": ["page", "year", "q"],
}
PARAMETERS = sorted({name for names in VIEW_PARAMETERS.values() for name in names})


def parameters_for(path: str) -> list[str]:
    return next(names for prefix, names in VIEW_PARAMETERS.items() if path.startswith(prefix))


OAI_VERBS = ["Identify", "ListMetadataFormats", "ListSets", "ListIdentifiers", "ListRecords"]


def text_values(known: list[str]):
    return st.one_of(
        st.sampled_from(known) if known else st.nothing(),
        st.sampled_from(HOSTILE),
        st.text(max_size=30),
        st.integers(-(10**30), 10**30).map(str),
    )


def encoded(value: str) -> str:
    """As a client may send it: UTF-8, lone surrogates as the invalid bytes they make."""
    return quote_from_bytes(value.encode("utf-8", "surrogatepass"), safe="")


def public_patterns(resolver, prefix=()):
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            if str(pattern.pattern).startswith("admin/"):
                continue
            yield from public_patterns(pattern, (*prefix, pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield (*prefix, pattern.pattern)


ROUTE_PART = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


def path_strategy(parts, known: dict[str, list[str]]):
    """Paths matching one pattern: its converters filled with known or hostile values."""
    pieces = []
    for part in parts:
        if isinstance(part, RegexPattern):
            regex = part.regex.pattern
            pieces.append(st.from_regex(regex.rstrip("$").lstrip("^") + r"\Z", fullmatch=True))
            continue
        route, position = str(part), 0
        for match in ROUTE_PART.finditer(route):
            pieces.append(st.just(route[position : match.start()]))
            pieces.append(text_values(known.get(match["name"], [])).map(encoded))
            position = match.end()
        pieces.append(st.just(route[position:]))
    return st.tuples(*pieces).map(lambda values: "/" + "".join(values))


class Site(dict):
    def __repr__(self):  # Hypothesis prints it with a failing example: the keys are enough
        return f"<site {sorted(self)}>"


def fill(parts, known, value: str) -> str:
    """One path of the pattern: every converter given value (regex parts: an example)."""
    path = ""
    for part in parts:
        if isinstance(part, RegexPattern):
            path += re.sub(r"[\^$]|\(.*?\)\?", "", part.regex.pattern)
        else:
            path += ROUTE_PART.sub(lambda match: encoded(value), str(part))
    return "/" + path


@pytest.fixture
def site(settings):
    """A published journal, a subscriber's links, a preview link; the webhooks mounted."""
    settings.SUBSCRIPTIONS_MIN_FORM_SECONDS = 0
    settings.ANYMAIL_WEBHOOK_SECRET = SECRET
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET}
    import jhop.urls

    importlib.reload(jhop.urls)
    clear_url_caches()
    data = build_site(n=2)
    article = data["article"]
    newsletter, _ = lists()
    reader = make_subscriber(email="reader@example.com", lists=[newsletter])
    known = {
        "slug": [
            article.slug,
            article.issue.slug,
            data["topic"].slug,
            data["section"].slug,
            data["author"].slug,
            newsletter.slug,
        ],
        "token": [
            PreviewLink.objects.create(article=article).token,
            PreviewLink.objects.create(issue=article.issue).token,
            *(make_token(subscriber=reader, purpose=purpose) for purpose in Purpose),
        ],
        "format": ["ris", "bib", "txt", "enw", "xml"],
        "section": [*sitemaps, data["section"].slug],  # a sitemap's, or the search filter
        "q": ["breast", "cancer CDK4/6", '"breast cancer"', "-breast"],
        "page": ["1", "2", "last"],
        "p": ["1", "2"],
        "topic": [data["topic"].slug],
        "year": ["2022", "1900"],
        "verb": OAI_VERBS,
        "metadataPrefix": ["oai_dc", "jats"],
        "set": [f"topic:{data['topic'].slug}", f"section:{data['section'].slug}", "issue:x"],
        "from": ["2022-01-01", "2022-06-16T00:00:00Z"],
        "until": ["2030-01-01"],
        "identifier": [f"oai:testserver:article:{article.pk}", "oai:x:1"],
        "email": ["reader@example.com", "new@example.com"],
        "lists": [str(newsletter.pk)],
        "List-Unsubscribe": ["One-Click"],
    }
    patterns = list(public_patterns(get_resolver()))
    paths = st.one_of(
        *(path_strategy(parts, known) for parts in patterns), st.just("/admin/login/")
    )
    links = [(purpose, make_token(subscriber=reader, purpose=purpose)) for purpose in Purpose]
    yield Site(paths=paths, known=known, patterns=patterns, subscriber_links=links)
    settings.ANYMAIL_WEBHOOK_SECRET = ""
    settings.ANYMAIL = {}
    importlib.reload(jhop.urls)
    clear_url_caches()


def send(method, path, pairs, *, json_body=None, signed=False):
    client = Client(raise_request_exception=False)
    headers = {}
    if signed:
        headers["HTTP_AUTHORIZATION"] = "Basic " + base64.b64encode(SECRET.encode()).decode()
    query = "&".join(f"{encoded(name)}={encoded(value)}" for name, value in pairs)
    if method == "POST":
        if json_body is not None:
            body, content_type = json_body, "application/json"
        else:
            body, content_type = query, "application/x-www-form-urlencoded"
        body = body.encode("utf-8", "surrogatepass")
        response = client.post(path, body, content_type=content_type, **headers)
    else:
        response = client.generic(method, f"{path}?{query}" if query else path, **headers)
    assert response.status_code < 500, (method, path, pairs, json_body, response.status_code)
    return response


@hypothesis_settings(
    max_examples=500,
    derandomize=True,  # a fixed seed: the same requests on every run
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_no_public_url_answers_a_server_error(site, data):
    path = data.draw(site["paths"], label="path")
    names = st.sampled_from(parameters_for(path)) | st.sampled_from(PARAMETERS)
    names = data.draw(st.lists(names, max_size=6), label="names")
    pairs = [
        (name, data.draw(text_values(site["known"].get(name, [])), label=name)) for name in names
    ]
    method = data.draw(st.sampled_from(["GET", "GET", "HEAD", "POST"]), label="method")
    webhook = path.startswith("/anymail/")
    json_body = None
    if method == "POST" and webhook and data.draw(st.booleans(), label="json"):
        json_body = json.dumps(dict(pairs)) if pairs else data.draw(st.sampled_from(HOSTILE))
    signed = webhook and data.draw(st.booleans(), label="signed")
    send(method, path, pairs, json_body=json_body, signed=signed)


SWEEP = ["\x00", "a\x00b", "\ud800", "\x7f", "-1", "9" * 400, "x" * 3000, "' OR 1=1 --", "<b>"]
# Per parameter: the values that reach past the forms' own checks when they are missing.
PARAMETER_SWEEP = ["\x00", "\ud800", "9" * 400, "x" * 3000]
READ_PATHS = ["/oai", "/search/", "/", "/issues/", "/sitemap.xml"]


def test_each_hostile_value_in_each_slot(site):
    """Deterministic: every converter of every pattern, and every parameter of each view
    (the others valid, so the view gets as far as using it): read by GET (the OAI-PMH
    endpoint also by POST), forms by POST."""
    known = site["known"]
    for parts in site["patterns"]:
        for value in SWEEP:
            send("GET", fill(parts, known, value), [])
    valid = {
        "/oai": [("verb", "ListRecords"), ("metadataPrefix", "oai_dc")],
        "/search/": [("q", "breast")],
        "/subscribe/": [(name, known.get(name, ["Ada"])[0]) for name in FORM_FIELDS],
    }
    token_paths = [f"/subscribe/{kind}/{token}/" for kind, token in site["subscriber_links"]]
    for path in [*READ_PATHS, "/subscribe/", *token_paths]:
        methods = ["GET", "POST"] if path == "/oai" else ["GET"] if path in READ_PATHS else ["POST"]
        for name in parameters_for(path):
            base = [pair for pair in valid.get(path, []) if pair[0] != name]
            for value in PARAMETER_SWEEP:
                for method in methods:
                    send(method, path, [*base, (name, value)])
    for verb in ("GetRecord", "ListMetadataFormats"):
        for value in PARAMETER_SWEEP:
            pairs = [("verb", verb), ("metadataPrefix", "jats"), ("identifier", value)]
            send("POST", "/oai", pairs)
