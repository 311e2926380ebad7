"""Shared helpers for the scholarly tests: the official schemas in ../shared/refdata."""

from pathlib import Path

from django.conf import settings
from lxml import etree

from articles.scholarly import schemas

REFDATA = Path(settings.BASE_DIR).parent / "shared" / "refdata"


def assert_valid(kind: str, document) -> None:
    """Fail with the schema's messages unless document validates against the official files."""
    if isinstance(document, bytes | str):
        document = etree.fromstring(document.encode() if isinstance(document, str) else document)
    errors = schemas.validate(kind, document, root=REFDATA)
    assert errors == [], "\n".join(str(e) for e in errors)
