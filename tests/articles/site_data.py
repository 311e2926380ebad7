"""A small published journal, as the seed page shows it, for the reader-site tests."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from articles.models import Article, RelatedItem, Section
from tests.factories import (
    make_article,
    make_author,
    make_issue,
    make_journal,
    make_section,
    make_topic,
)

NEW_YORK = ZoneInfo("America/New_York")
SEED_TITLE = (
    "Resistance Mechanisms to CDK4/6 Blockade in Advanced HR-Positive, HER2-Negative "
    "Breast Cancer and Emerging Therapeutic Opportunities"
)
SEED_REFERENCES = [
    "Roberto M, Astone A, Botticelli A, et al. CDK4/6 inhibitor treatments in patients with "
    "hormone receptor positive, HER2 negative advanced breast cancer. Cancers (Basel). "
    "2021;13:332.",
    "Lloyd MR, Spring LM, Bardia A, Wander SA. Mechanisms of resistance to CDK4/6 blockade. "
    "Clin Cancer Res. 2021 Nov 1. Epub ahead of print.",
]


# Authors as the seed credits them, in byline order (build_site takes the first n).
SEED_AUTHORS = [
    ("Robert J.", "Ignoffo"),
    ("Donyika", "Joseph"),
    ("Farnaz", "Foolad"),
    ("Neelam K.", "Patel"),
    ("Jaime", "Kaushik"),
]


def build_site(*, n: int = 1) -> dict:
    """The seed's article plus a related news item, each with n authors/topics/references."""
    journal = make_journal()
    issue = make_issue(volume=12, number=3, cover_date=date(2022, 6, 1), slug="june-2022")
    original = make_section("Original Article", position=1)
    news = make_section("FDA Oncology Update", position=2, content_kind=Section.ContentKind.NEWS)
    breast = make_topic("Breast Cancer")
    topics = [breast] + [make_topic() for _ in range(n - 1)]
    authors = [
        make_author(given_name=given, family_name=family, credentials="PharmD, BCOP")
        for given, family in [*SEED_AUTHORS, *((f"Coauthor {i}", "Guest") for i in range(n))][:n]
    ]
    references = SEED_REFERENCES[:n] + [f"Reference number {i}." for i in range(3, n + 1)]
    body = "".join(f"<p>Finding number {i} matters.[{i}]</p>" for i in range(1, n + 1))
    article = make_article(
        title=SEED_TITLE,
        slug="resistance-mechanisms-cdk46",
        issue=issue,
        section=original,
        authors=authors,
        topics=topics,
        references=references,
        body="<p>The most common breast cancer subtype is HR-positive.[1]</p>" + body,
        standfirst="CDK4/6 inhibitors changed the treatment of HR-positive breast cancer.",
        doi="10.12345/jhop.2022.0001",
        first_page="101",
        last_page="108",
        published_at=datetime(2022, 6, 16, 12, tzinfo=NEW_YORK),
    )
    related = []
    for i in range(n):
        item = make_article(
            title=f"Enhertu Received Regular FDA Approval {i}",
            issue=issue,
            section=news,
            topics=topics,
            authors=authors[:1],
            published_at=datetime(2022, 6, 16, 12, tzinfo=NEW_YORK) - timedelta(minutes=i),
        )
        related.append(item)
        RelatedItem.objects.create(article=article, related=item, position=i)
    return {
        "journal": journal,
        "issue": issue,
        "article": article,
        "news": related[0],
        "related": related,
        "section": original,
        "news_section": news,
        "topic": breast,
        "author": authors[0],
        "authors": authors,
    }


def make_hidden_articles(issue, topic, section, author) -> list[Article]:
    """A draft, a scheduled article and one in an unpublished issue, all titled HIDDEN."""
    hidden_issue = make_issue(status="draft", slug="hidden-issue", published_at=None)
    common = {"topics": [topic], "section": section, "authors": [author]}
    return [
        make_article(title="HIDDEN draft", status=Article.Status.DRAFT, issue=issue, **common),
        make_article(
            title="HIDDEN scheduled",
            issue=issue,
            published_at=timezone.now() + timedelta(days=2),
            **common,
        ),
        make_article(title="HIDDEN unpublished issue", issue=hidden_issue, **common),
    ]
