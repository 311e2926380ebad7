import pytest

from articles.citations import cited_numbers, link_citations, parse_group
from tests.factories import make_article


@pytest.mark.parametrize(
    ("group", "numbers"),
    [("1", [1]), ("1,2", [1, 2]), ("3-5", [3, 4, 5]), ("1, 3–5", [1, 3, 4, 5]), ("2,2", [2])],
)
def test_parse_group(group, numbers):
    assert parse_group(group) == numbers


def test_cited_numbers_reads_text_only():
    html = (
        "<p>Shown [1] and [2,3] and [5-6].</p>"
        '<p><a href="https://example.org/[7]" title="[8]">see [9]</a> <code>[10]</code></p>'
    )
    assert cited_numbers(html) == {1, 2, 3, 5, 6}


def test_link_citations_renders_superscript_links_with_back_anchors():
    html = link_citations("<p>First [1]. Again [1,2]. Range [3-5].</p>")
    first = '<a href="#ref-1" id="cite-1-1" aria-label="Reference 1">1</a>'
    assert f'<sup class="cite">{first}</sup>' in html
    assert 'id="cite-1-2"' in html
    assert '<a href="#ref-2" id="cite-2-1" aria-label="Reference 2">2</a>' in html
    assert 'id="cite-4-1"' in html
    assert '<a href="#ref-5" id="cite-5-1" aria-label="Reference 5">5</a>' in html
    assert "[1]" not in html


def test_link_citations_leaves_links_and_attributes_alone():
    html = '<p><a href="https://example.org/?q=[1]">[2]</a></p>'
    assert link_citations(html) == html


@pytest.mark.django_db
def test_article_body_html_and_reference_backlinks():
    article = make_article(
        body="<p>Cited once [1].</p><script>alert(1)</script>",
        references=["One.", "Never cited."],
    )
    assert 'href="#ref-1"' in article.body_html
    assert "<script" not in article.body_html
    first, second = article.references.all()
    assert (first.anchor_id, first.backlink_id) == ("ref-1", "cite-1-1")
    assert (second.anchor_id, second.backlink_id) == ("ref-2", "")
