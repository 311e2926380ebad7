"""Superscript citations pasted from Word or Google Docs become linked citations on save.

The rule: a superscript is a citation when it holds numbers, a range or a list ("1",
"2,3", "1-3", "1–3", "[1]") and follows punctuation or a word of three letters or more
that is not a unit after a slash; it is converted when every number has a reference.
"""

from pathlib import Path

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from articles.citations import citation_warnings, convert_superscripts, superscript_citations
from articles.dashboard import problems_of
from articles.models import Article
from articles.sanitizer import sanitize_html
from tests.articles.admin_helpers import article_post, inline
from tests.factories import make_article

SAMPLES = Path(__file__).parent / "clipboard"


@pytest.mark.parametrize(
    ("html", "converted"),
    [
        ("<p>Shown.<sup>1</sup></p>", "<p>Shown.[1]</p>"),
        ("<p>Shown<sup>2,3</sup> here</p>", "<p>Shown[2,3] here</p>"),
        ("<p>Shown,<sup>1-3</sup></p>", "<p>Shown,[1-3]</p>"),
        ("<p>Shown;<sup>1–3</sup></p>", "<p>Shown;[1–3]</p>"),
        ("<p>Shown<sup>[1]</sup></p>", "<p>Shown[1]</p>"),
        ("<p><em>Shown</em>.<sup>1, 3</sup></p>", "<p><em>Shown</em>.[1, 3]</p>"),
    ],
)
def test_superscript_numbers_ranges_and_lists_become_citations(html, converted):
    assert convert_superscripts(html, [1, 2, 3]) == converted


@pytest.mark.parametrize(
    "html",
    [
        "<p>Dose 75 mg/m<sup>2</sup> daily.</p>",  # a unit after a slash
        "<p>Platelets 100 × 10<sup>9</sup>/L.</p>",  # an exponent after a number
        "<p>The area x<sup>2</sup> and 4 cm<sup>2</sup>.</p>",  # short words: symbols, units
        "<p>Trial phase<sup>2</sup>b</p>",  # glued to the next word
        '<p><a href="https://example.org">Linked.<sup>1</sup></a></p>',  # inside a link
        "<p><sup>1</sup> Footnote mark at the start of a paragraph.</p>",
        "<p>Shown.<sup>a</sup></p>",  # not a number
    ],
)
def test_superscripts_that_are_not_citations_stay(html):
    assert convert_superscripts(html, [1, 2, 3]) == html


def test_a_superscript_citing_a_missing_reference_stays_and_is_a_warning():
    html = "<p>Therapy.<sup>1</sup> Toxicity.<sup>2-4</sup></p>"
    converted = convert_superscripts(html, [1, 2, 3])
    assert converted == "<p>Therapy.[1] Toxicity.<sup>2-4</sup></p>"
    [warning, uncited] = citation_warnings(converted, [1, 2, 3])
    assert warning.startswith("The superscript 2-4 after “Therapy.[1] Toxicity.” looks like")
    assert "there is no reference 4" in warning
    assert uncited.startswith("The body never cites reference 2, 3")


def test_word_and_google_docs_samples_cite_their_references():
    word = sanitize_html((SAMPLES / "word.html").read_text())
    gdocs = sanitize_html((SAMPLES / "gdocs.html").read_text())
    assert [s.numbers for s in superscript_citations(word)] == [(1,)]
    assert "in <em>HR-positive</em> disease.[1] Resistance" in convert_superscripts(word, [1])
    assert "with <em>abemaciclib</em>.[2]<strong>" in convert_superscripts(gdocs, [1, 2])
    # The table's "3–4" is plain text, not a superscript: untouched.
    assert "<td><p>3–4</p></td>" in convert_superscripts(gdocs, [1, 2, 3, 4])


@pytest.mark.django_db
def test_a_word_body_saved_in_the_admin_links_its_citations(admin_client):
    body = (SAMPLES / "word.html").read_text().replace("Resistance is", "Resistance<sup>2</sup> is")
    data = article_post(body=body)

    response = admin_client.post(reverse("admin:articles_article_add"), data)

    assert response.status_code == 302
    article = Article.objects.get(slug="a-new-article")
    assert "disease.[1] Resistance[2] is" in article.body
    assert 'href="#ref-1"' in article.body_html and 'href="#ref-2"' in article.body_html
    assert not [m for m in get_messages(response.wsgi_request) if m.level_tag == "warning"]


@pytest.mark.django_db
def test_saving_warns_of_a_superscript_without_reference_and_an_uncited_reference(admin_client):
    data = article_post(
        body="<p>Response was higher with abemaciclib.<sup>1-3</sup></p>",
        **inline("references", [{"position": 1, "citation": "One."}]),
    )

    response = admin_client.post(reverse("admin:articles_article_add"), data)

    assert response.status_code == 302
    article = Article.objects.get(slug="a-new-article")
    assert article.body == "<p>Response was higher with abemaciclib.<sup>1-3</sup></p>"
    warnings = [str(m) for m in get_messages(response.wsgi_request) if m.level_tag == "warning"]
    assert any("no reference 2, 3" in w for w in warnings), warnings
    assert any("never cites reference 1" in w for w in warnings), warnings
    assert problems_of(article)


@pytest.mark.django_db
def test_the_dashboard_check_fails_on_an_uncited_reference(admin_client):
    make_article(title="Cites all", body="<p>See [1].</p>", references=["One."])
    make_article(title="Forgets one", body="<p>See [1].</p>", references=["One.", "Two."])

    text = admin_client.get(reverse("admin:index")).text
    problems = text.split("Failing a check")[1].split("Recent changes")[0]

    assert "Forgets one</a>: The body never cites reference 2" in problems
    assert "Cites all" not in problems
