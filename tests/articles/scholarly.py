"""Shared helpers for the scholarly tests: validation against the vendored official schemas
(what production validates against; test_scholarly_schemas.py checks where they come from).
"""

from lxml import etree

from articles.scholarly import schemas


def assert_valid(kind: str, document) -> None:
    """Fail with the schema's messages unless document validates against the official files."""
    if isinstance(document, bytes | str):
        document = etree.fromstring(document.encode() if isinstance(document, str) else document)
    errors = schemas.validate(kind, document, root=schemas.VENDORED)
    assert errors == [], "\n".join(str(e) for e in errors)
