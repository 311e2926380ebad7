"""Shared helpers for the scholarly tests: validation against the vendored official schemas.

The vendored files are what production validates against; where the project's reference
set (../shared/refdata) is beside the clone, test_scholarly_schemas.py checks that they
are byte-identical to it. Nothing else reads ../shared, so a bare clone runs every test.
"""

from pathlib import Path

from django.conf import settings
from lxml import etree

from articles.scholarly import schemas

REFDATA = Path(settings.BASE_DIR).parent / "shared" / "refdata"


def assert_valid(kind: str, document) -> None:
    """Fail with the schema's messages unless document validates against the official files."""
    if isinstance(document, bytes | str):
        document = etree.fromstring(document.encode() if isinstance(document, str) else document)
    errors = schemas.validate(kind, document, root=schemas.VENDORED)
    assert errors == [], "\n".join(str(e) for e in errors)
