"""The vendored schemas production validates against are the official reference files."""

import hashlib

from articles.scholarly import schemas
from tests.articles.scholarly import REFDATA


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_vendored_schemas_are_byte_identical_to_the_reference_set():
    vendored = sorted(p for p in schemas.VENDORED.rglob("*.xsd"))
    assert len(vendored) > 20
    for path in vendored:
        reference = REFDATA / path.relative_to(schemas.VENDORED)
        assert _digest(path) == _digest(reference), path


def test_the_schemas_really_enforce(tmp_path):
    example = (REFDATA / "crossref/examples/minimal-journal-article.xml").read_bytes()
    from lxml import etree

    document = etree.fromstring(example)
    assert schemas.validate("crossref", document, root=REFDATA) == []
    doi_data = document.find(".//{http://www.crossref.org/schema/5.3.1}doi_data")
    doi_data.getparent().remove(doi_data)
    errors = schemas.validate("crossref", document, root=REFDATA)
    assert errors and "doi_data" in errors[0].message
