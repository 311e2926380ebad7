"""Fixtures the articles tests share."""

import pytest

from articles.models import CrossrefDeposit, PreviewLink
from tests.factories import make_article, make_author, make_issue, make_section, make_topic


@pytest.fixture
def content(db):
    """An issue with one article (section, author, topic) and a preview link: admin pages
    have something to show."""
    issue = make_issue(volume=12, number=3)
    section = make_section("Original Article")
    author = make_author(orcid="0000-0002-1825-0097")
    article = make_article(
        issue=issue, section=section, authors=[author], topics=[make_topic("Breast Cancer")]
    )
    PreviewLink.objects.create(article=article)
    CrossrefDeposit.objects.create(issue=issue, batch_id="jhop-issue-1-1", document="<x/>")
    return {"issue": issue, "section": section, "author": author, "article": article}
