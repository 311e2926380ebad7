"""The vendored schemas production validates against are the official reference files."""

import hashlib
import re
from pathlib import Path

import pytest
from django.conf import settings
from lxml import etree

from articles.scholarly import schemas

# The project's reference copy of the official files, beside the clone when it is there
# (CI's machine); the tests that need it are this file's first one only.
REFDATA = Path(settings.BASE_DIR).parent / "shared" / "refdata"
EXAMPLE = Path(__file__).parent / "schemas" / "crossref-minimal-journal-article.xml"


# Vendored from elsewhere (the README names their sources and pins their digests).
NOT_IN_REFERENCE_SET = ("pubmed", "doaj")


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_vendored_schemas_are_byte_identical_to_the_reference_set():
    # The reference set lives beside the clone, not in it: CI's machine has it, a bare
    # clone does not (and validates against the vendored files alone).
    if not REFDATA.is_dir():
        pytest.skip(f"no reference set at {REFDATA} (a bare clone)")
    vendored = sorted(
        p
        for p in schemas.VENDORED.rglob("*.xsd")
        if p.relative_to(schemas.VENDORED).parts[0] not in NOT_IN_REFERENCE_SET
    )
    assert len(vendored) > 20
    for path in vendored:
        reference = REFDATA / path.relative_to(schemas.VENDORED)
        assert _digest(path) == _digest(reference), path
    assert _digest(EXAMPLE) == _digest(REFDATA / "crossref/examples/minimal-journal-article.xml")


def test_the_schemas_really_enforce():
    document = etree.fromstring(EXAMPLE.read_bytes())
    assert schemas.validate("crossref", document, root=schemas.VENDORED) == []
    doi_data = document.find(".//{http://www.crossref.org/schema/5.3.1}doi_data")
    doi_data.getparent().remove(doi_data)
    errors = schemas.validate("crossref", document, root=schemas.VENDORED)
    assert errors and "doi_data" in errors[0].message


def test_the_indexing_schemas_match_the_readme_manifest():
    readme = (schemas.VENDORED / "README.md").read_text()
    manifest = {
        path: digest
        for digest, path in re.findall(r"^([0-9a-f]{64})  (\S+)$", readme, flags=re.MULTILINE)
    }
    files = sorted(
        str(p.relative_to(schemas.VENDORED))
        for folder in NOT_IN_REFERENCE_SET
        for p in (schemas.VENDORED / folder).rglob("*")
        if p.is_file()
    )
    assert files == sorted(manifest)
    assert len(files) == 28
    for path in files:
        assert _digest(schemas.VENDORED / path) == manifest[path], path
