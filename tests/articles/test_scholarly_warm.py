"""Schemas load once per process, before serving, and the fast MathML-free path is exact."""

from pathlib import Path

import pytest
from lxml import etree

from articles.scholarly import jats, schemas
from tests.factories import make_article

EXAMPLE = Path(__file__).parent / "schemas" / "crossref-minimal-journal-article.xml"
CROSSREF_NS = "{http://www.crossref.org/schema/5.3.1}"


@pytest.fixture
def compiles(monkeypatch):
    """Every schema compiled from now on, as (kind, mathml)."""
    schemas._compiled.cache_clear()
    seen = []
    real = schemas._compile

    def counting(kind, root, mathml):
        seen.append((kind, mathml))
        return real(kind, root, mathml)

    monkeypatch.setattr(schemas, "_compile", counting)
    return seen


def _jats_with_formula(formula: str):
    return etree.fromstring(
        "<article xmlns:mml='http://www.w3.org/1998/Math/MathML' dtd-version='1.3'>"
        "<front><journal-meta><journal-id journal-id-type='publisher-id'>J</journal-id>"
        "<issn>1234-5678</issn></journal-meta><article-meta><title-group>"
        "<article-title>T</article-title></title-group></article-meta></front>"
        f"<body><p>An equation: <inline-formula>{formula}</inline-formula></p></body></article>"
    )


@pytest.mark.django_db
def test_warm_loads_every_schema_and_validation_then_loads_none(compiles):
    schemas.warm()
    assert sorted(compiles) == [
        ("crossref", False),
        ("doaj", False),
        ("jats", False),
        ("oai", False),
    ]
    dtd_loads = schemas._pubmed_dtd.cache_info().misses

    compiles.clear()
    schemas.pubmed_dtd()
    assert schemas._pubmed_dtd.cache_info().misses == dtd_loads
    schemas.validate("doaj", etree.fromstring("<records/>"))
    schemas.validate("jats", jats.article_jats(make_article()).tree)
    assert schemas.validate("crossref", etree.fromstring(EXAMPLE.read_bytes())) == []
    schemas.validate("oai", etree.fromstring(f"<OAI-PMH xmlns='{schemas.OAI_NS}'/>"))
    assert compiles == []


def test_the_mathml_free_schema_gives_the_same_verdict_on_documents_without_mathml():
    valid = etree.fromstring(EXAMPLE.read_bytes())
    no_doi = etree.fromstring(EXAMPLE.read_bytes())
    doi_data = no_doi.find(f".//{CROSSREF_NS}doi_data")
    doi_data.getparent().remove(doi_data)
    bad_doi = etree.fromstring(EXAMPLE.read_bytes())
    bad_doi.find(f".//{CROSSREF_NS}doi").text = "not a doi"
    for document in (valid, no_doi, bad_doi):
        full = schemas.load("crossref", mathml=True)
        fast = schemas.load("crossref", mathml=False)
        full.validate(document)
        fast.validate(document)
        assert [e.message for e in fast.error_log] == [e.message for e in full.error_log]
    assert schemas.validate("crossref", valid) == []
    assert "doi_data" in schemas.validate("crossref", no_doi)[0].message


def test_a_document_with_mathml_is_checked_against_the_full_mathml_schema():
    # The stub would accept any content in <mml:math>; the official module does not.
    good = _jats_with_formula("<mml:math><mml:mi>x</mml:mi><mml:mo>=</mml:mo></mml:math>")
    bad = _jats_with_formula("<mml:math><mml:blink>x</mml:blink></mml:math>")
    good_errors = schemas.validate("jats", good)
    bad_errors = schemas.validate("jats", bad)
    assert not any("math" in e.message.lower() for e in good_errors)
    assert any("blink" in e.message for e in bad_errors)
    stub = schemas.load("jats", mathml=False)
    stub.validate(bad)
    assert not any("blink" in e.message for e in stub.error_log)
