"""Every public page is well-formed HTML5: balanced elements, unique ids, no duplicate
attributes, nothing a browser would have to repair (a block inside a paragraph, a link inside
a link). A stdlib parser keeps this check free of extra dependencies; axe-core covers the
accessibility rules in the browser tests."""

import os
import subprocess
from datetime import timedelta
from html.parser import HTMLParser
from io import BytesIO

import pytest
from django.core.files.base import ContentFile
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from articles.models import Article, Issue, PreviewLink
from jhop.views import server_error
from subscriptions.forms import form_stamp
from subscriptions.models import Subscription
from subscriptions.tokens import Purpose, make_token
from tests.articles.site_data import build_site
from tests.factories import make_article, make_issue
from tests.subscriptions.factories import lists, make_subscriber

pytestmark = pytest.mark.django_db

VOID = {
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
    "track", "wbr",
}  # fmt: skip
NOT_IN_P = {
    "address", "article", "aside", "blockquote", "div", "dl", "fieldset", "figure", "footer",
    "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "main", "nav", "ol", "p",
    "pre", "section", "table", "ul",
}  # fmt: skip


class Checker(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.ids: set[str] = set()
        self.problems: list[str] = []
        self.doctype = False

    def handle_decl(self, decl):
        self.doctype = decl.lower() == "doctype html"

    def handle_starttag(self, tag, attrs):
        names = [name for name, _ in attrs]
        if len(names) != len(set(names)):
            self.problems.append(f"duplicate attribute in <{tag}>: {names}")
        for name, value in attrs:
            if name == "id":
                if value in self.ids:
                    self.problems.append(f"duplicate id {value!r}")
                self.ids.add(value)
        if tag in NOT_IN_P and "p" in self.stack:
            self.problems.append(f"<{tag}> inside <p>")
        if tag == "a" and "a" in self.stack:
            self.problems.append("<a> inside <a>")
        if tag == "form" and "form" in self.stack:
            self.problems.append("<form> inside <form>")
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        if tag in VOID:
            self.problems.append(f"end tag for void <{tag}>")
        elif not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes <{self.stack[-1] if self.stack else None}>")
            if tag in self.stack:
                while self.stack.pop() != tag:
                    pass
        else:
            self.stack.pop()


def check(content: str) -> list[str]:
    checker = Checker()
    checker.feed(content)
    checker.close()
    problems = checker.problems
    if not checker.doctype:
        problems.append("no <!DOCTYPE html>")
    if checker.stack:
        problems.append(f"unclosed: {checker.stack}")
    return problems


def image_file(name: str) -> ContentFile:
    buffer = BytesIO()
    Image.new("RGB", (640, 360), (30, 60, 120)).save(buffer, format="PNG")
    return ContentFile(buffer.getvalue(), name=name)


def add_every_feature(site) -> None:
    """The seed article with everything an article page can show: lead image with caption,
    PDF, DOI, later update, author photo/ORCID/affiliation, references with DOI, PubMed and
    URL, keywords, and a body with headings, a list, a table and a blockquote."""
    article = site["article"]
    article.lead_image.save("lead.png", image_file("lead.png"), save=False)
    article.lead_image_alt = "Bar chart of response rates"
    article.lead_image_caption = "Response rates by arm."
    article.pdf.save("article.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"), save=False)
    article.keywords = "CDK4/6, resistance"
    article.body += (
        "<h2>Methods</h2><ul><li>One</li><li>Two</li></ul>"
        "<table><thead><tr><th>Arm</th><th>n</th></tr></thead>"
        "<tbody><tr><td>A</td><td>10</td></tr></tbody></table>"
        "<blockquote><p>Quoted.</p></blockquote>"
    )
    article.save()
    Article.objects.filter(pk=article.pk).update(
        corrected_at=timezone.now(), correction_note="The dose in Table 2 was corrected."
    )
    article.references.filter(position=1).update(
        doi="10.3390/cancers13020332", pmid="33477469", url="https://example.org/ref1"
    )
    author = site["author"]
    author.photo.save("author.png", image_file("author.png"), save=False)
    author.photo_alt = "Portrait of the author"
    author.orcid = "0000-0002-1825-0097"
    author.affiliation = "Moffitt Cancer Center"
    author.bio = "Oncology pharmacist."
    author.save()


def subscription_tokens() -> dict[str, str]:
    newsletter, print_edition = lists()
    subscriber = make_subscriber(lists=[newsletter], status=Subscription.Status.PENDING)
    active = make_subscriber(lists=[newsletter, print_edition])
    return {
        "confirm": make_token(subscriber=subscriber, purpose=Purpose.CONFIRM),
        "manage": make_token(subscriber=active, purpose=Purpose.MANAGE),
        "unsubscribe": make_token(
            subscriber=active, purpose=Purpose.UNSUBSCRIBE, mailing_list=newsletter
        ),
    }


def page_urls(site) -> list[str]:
    for i in range(25):
        make_article(title=f"Breast filler {i}", topics=[site["topic"]])
    tokens = subscription_tokens()
    preview = PreviewLink.objects.create(
        article=site["article"], expires_at=timezone.now() + timedelta(days=1)
    )
    return [
        "/",
        "/issues/",
        site["issue"].get_absolute_url(),
        make_issue(kind=Issue.Kind.SUPPLEMENT, title="Supplement", slug="supp").get_absolute_url(),
        site["article"].get_absolute_url(),
        site["news"].get_absolute_url(),
        make_article(title="Web only, no authors, no section").get_absolute_url(),
        reverse("articles:article-preview", args=[preview.token]),
        "/topics/",
        site["topic"].get_absolute_url(),
        site["topic"].get_absolute_url() + "?page=2",
        site["section"].get_absolute_url(),
        site["author"].get_absolute_url(),
        "/search/",
        "/search/?q=breast",
        "/search/?q=breast&topic=breast-cancer&page=2",
        "/search/?q=breast&sort=date&year=abc",
        "/search/?q=xylophonequartz",
        "/search/?q=%25%25",
        "/search/?q=x&year=abc",
        "/subscribe/",
        "/subscribe/thanks/",
        "/subscribe/manage/",
        reverse("subscriptions:confirm", args=[tokens["confirm"]]),
        reverse("subscriptions:manage", args=[tokens["manage"]]),
        reverse("subscriptions:unsubscribe", args=[tokens["unsubscribe"]]),
        "/subscribe/confirm/not-a-token/",
        "/no-such-page/",
    ]


def every_page(client, rf) -> dict[str, bytes]:
    """Every page type's HTML, by address: GET pages, forms sent back with errors and
    after success, and the 500 page."""
    site = build_site(n=3)
    add_every_feature(site)
    pages = {}
    for url in page_urls(site):
        response = client.get(url)
        assert response.status_code in (200, 400, 404), (url, response.status_code)
        pages[url] = response.content
    tokens = subscription_tokens()
    posts = [
        ("subscribe (errors)", "subscriptions:subscribe", {"email": "x", "started": form_stamp()}),
        ("manage request (errors)", "subscriptions:manage-request", {}),
        ("manage request", "subscriptions:manage-request", {"email": "reader@example.com"}),
    ] + [(name, f"subscriptions:{name}", {}) for name in ("confirm", "unsubscribe")]
    for name, url_name, data in posts:
        args = [tokens[name]] if name in tokens else []
        response = client.post(reverse(url_name, args=args), data)
        assert response.status_code == 200 and response.content, name
        pages[f"POST {name}"] = response.content
    pages["500"] = server_error(rf.get("/")).content
    return pages


@override_settings(DEBUG=False, SUBSCRIPTIONS_MIN_FORM_SECONDS=0)
def test_every_page_is_well_formed(client, rf, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    pages = every_page(client, rf)
    assert len(pages) > 30
    problems = {url: check(content.decode()) for url, content in pages.items()}
    assert problems == {url: [] for url in pages}


def test_the_article_page_shows_every_feature(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    site = build_site(n=3)
    add_every_feature(site)
    html = client.get(site["article"].get_absolute_url()).content.decode()
    for feature in (
        '<figure class="lead-image">',
        "<figcaption>Response rates by arm.</figcaption>",
        'type="application/pdf"',
        "Corrected on <time",
        "The dose in Table 2 was corrected.",
        "https://doi.org/10.3390/cancers13020332",
        "https://pubmed.ncbi.nlm.nih.gov/33477469",
        'href="https://example.org/ref1"',
        "<table>",
        'name="citation_pdf_url"',
    ):
        assert feature in html, feature


def test_the_checker_catches_mistakes():
    assert check("<!DOCTYPE html><p><div></div></p>")
    assert check("<!DOCTYPE html><b><i></b></i>")
    assert check('<!DOCTYPE html><a id="x"></a><a id="x"></a>')
    assert check("<!DOCTYPE html><p>fine</p>") == []


@pytest.mark.skipif(
    not os.environ.get("VNU_JAR") and not os.environ.get("CI"),
    reason="set VNU_JAR to the Nu Html Checker jar (CI installs it)",
)
@override_settings(DEBUG=False, SUBSCRIPTIONS_MIN_FORM_SECONDS=0)
def test_every_page_passes_the_nu_html_checker(client, rf, settings, tmp_path):
    """The W3C's checker (npm package vnu-jar; needs Java), when available."""
    settings.MEDIA_ROOT = tmp_path / "media"
    files, names = [], {}
    for i, (url, content) in enumerate(every_page(client, rf).items()):
        path = tmp_path / f"page-{i}.html"
        path.write_bytes(content)
        files.append(str(path))
        names[str(path)] = url
    result = subprocess.run(
        ["java", "-jar", os.environ["VNU_JAR"], "--errors-only", *files],
        capture_output=True,
        text=True,
        check=False,
    )
    report = result.stderr
    for path, url in names.items():
        report = report.replace(f"file:{path}", url)
    assert result.returncode == 0, report
