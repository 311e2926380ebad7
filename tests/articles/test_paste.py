"""Pasting from Word and Google Docs: structure kept, styles dropped.

The samples in clipboard/ are text/html clipboard contents as Word (Microsoft 365,
Windows) and Google Docs (Chrome) put them on the clipboard, shortened.
"""

import re
from pathlib import Path

import pytest

from articles.sanitizer import sanitize_html

SAMPLES = Path(__file__).parent / "clipboard"


@pytest.fixture(scope="module")
def word():
    # Whitespace between tags is not what is being tested.
    return re.sub(r">\s+<", "><", sanitize_html((SAMPLES / "word.html").read_text()))


@pytest.fixture(scope="module")
def gdocs():
    return sanitize_html((SAMPLES / "gdocs.html").read_text())


def test_word_keeps_headings_italics_bold_and_superscripts(word):
    assert "<h2>Background</h2>" in word  # Word's h1: the page title is the article's
    assert "<h2>Methods</h2>" in word
    assert "in <em>HR-positive</em> disease.</span>" not in word
    assert "in <em>HR-positive</em> disease.<sup>1</sup>" in word
    assert "Resistance is <strong>common</strong>." in word


def test_word_list_paragraphs_become_lists_without_their_typed_bullets(word):
    assert "<ol><li>Palbociclib</li><li>Ribociclib</li></ol>" in word
    assert "<ul><li>Neutropenia</li><li>Fatigue</li></ul>" in word
    assert "·" not in word and "1." not in word.split("<ol>")[1][:20]


def test_word_table_is_kept(word):
    assert "<table>" in word and "<td><p><strong>Arm</strong></p></td>" in word
    assert "<td><p>42%</p></td>" in word


def test_google_docs_styles_become_tags(gdocs):
    assert "<h2>Results</h2>" in gdocs
    assert "Response was higher with <em>abemaciclib</em>.<sup>2</sup>" in gdocs
    assert "<strong> Key point.</strong>" in gdocs
    # The <b style="font-weight:normal"> wrapper Google Docs puts around everything.
    assert not gdocs.startswith("<strong>")
    assert "<ul><li><p>Diarrhea</p></li><li><p>Neutropenia</p></li></ul>" in gdocs
    assert "<td><p>3–4</p></td>" in gdocs


@pytest.mark.parametrize("sample", ["word", "gdocs"])
def test_no_style_class_or_office_markup_survives(sample, request):
    html = request.getfixturevalue(sample)
    for leftover in ("style=", "class=", "mso-", "<span", "<o:p", "<b>", "<i>", "<font", "dir="):
        assert leftover not in html, leftover


def test_editor_output_is_left_as_it_is():
    html = "<h2>Title</h2><p>Plain <em>italic</em> and <strong>bold</strong>.<sup>1</sup></p>"
    assert sanitize_html(html) == html
