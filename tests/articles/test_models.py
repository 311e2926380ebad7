from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.utils import timezone

from articles.models import Article, ArticleTopic, Issue, Journal, RelatedItem
from tests.factories import make_article, make_author, make_issue, make_journal, make_topic

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("fields", "label"),
    [
        (
            {"cover_date": date(2022, 6, 1), "volume": 12, "number": 3},
            "JHOP - June 2022 Vol 12, No 3",
        ),
        (
            {"cover_date": date(2022, 4, 1), "volume": 12, "number": 2},
            "JHOP - April 2022 Vol 12, No 2",
        ),
        (
            {"cover_date": date(2019, 6, 1), "volume": 9, "number": 2},
            "JHOP - June 2019 Vol 9, No 2",
        ),
        (
            {"cover_date": date(2022, 2, 1), "volume": 12, "number": 1},
            "JHOP - February 2022 Vol 12, No 1",
        ),
        (
            {
                "cover_date": date(2022, 3, 1),
                "volume": 12,
                "number": None,
                "kind": Issue.Kind.SPECIAL_FEATURE,
            },
            "JHOP - March 2022 Vol 12 Special Feature",
        ),
        (
            {
                "cover_date": date(2022, 1, 1),
                "volume": 12,
                "number": None,
                "kind": Issue.Kind.YEAR_IN_REVIEW,
                "title": "2021 Year in Review - Breast Cancer",
            },
            "2021 Year in Review - Breast Cancer",
        ),
        (
            {
                "cover_date": date(2022, 2, 1),
                "volume": 12,
                "number": None,
                "kind": Issue.Kind.SPECIAL_ISSUE,
                "title": "Clinical Trials to Clinical Practice",
            },
            "February 2022 Clinical Trials to Clinical Practice",
        ),
    ],
)
def test_issue_label_as_the_seed_prints_it(fields, label):
    issue = make_issue(**fields)
    assert issue.label == label
    assert str(issue) == issue.full_label


@pytest.mark.parametrize(
    ("fields", "full_label"),
    [
        (
            {"volume": 16, "number": 8, "cover_date": date(2026, 12, 1)},
            "JHOP - December 2026 Vol 16, No 8",
        ),
        (
            {"volume": 16, "number": 8, "cover_date": date(2026, 12, 1), "title": "Biosimilars"},
            "JHOP - December 2026 Vol 16, No 8: Biosimilars",
        ),
        (
            {
                "volume": 12,
                "number": None,
                "cover_date": date(2022, 2, 1),
                "kind": Issue.Kind.SPECIAL_ISSUE,
                "title": "Clinical Trials to Clinical Practice",
            },
            "JHOP - February 2022 Vol 12: Clinical Trials to Clinical Practice",
        ),
    ],
)
def test_issue_full_label_always_says_month_volume_and_number(fields, full_label):
    # What editors pick from and the article's issue line: a title alone is ambiguous.
    issue = make_issue(**fields)
    assert issue.full_label == full_label
    assert str(issue) == full_label


def test_issue_is_unique_per_journal_volume_number_kind():
    make_issue(volume=12, number=3)
    with pytest.raises(IntegrityError):
        make_issue(volume=12, number=3)


class TestPublishedRule:
    def visible(self):
        return set(Article.objects.published().values_list("slug", flat=True))

    def test_draft_future_and_past(self):
        now = timezone.now()
        make_article(slug="past", published_at=now - timedelta(minutes=1))
        make_article(slug="future", published_at=now + timedelta(minutes=1))
        make_article(
            slug="draft", status=Article.Status.DRAFT, published_at=now - timedelta(days=1)
        )
        make_article(slug="no-date", published_at=None)
        assert self.visible() == {"past"}

    def test_scheduled_article_goes_live_at_its_time_without_a_job(self, monkeypatch):
        at = timezone.now() + timedelta(hours=1)
        make_article(slug="scheduled", published_at=at)
        assert self.visible() == set()
        monkeypatch.setattr(timezone, "now", lambda: at + timedelta(seconds=1))
        assert self.visible() == {"scheduled"}

    def test_article_in_unpublished_or_scheduled_issue_is_not_public(self):
        draft_issue = make_issue(status=Issue.Status.DRAFT)
        scheduled_issue = make_issue(published_at=timezone.now() + timedelta(days=1))
        public_issue = make_issue()
        make_article(slug="in-draft-issue", issue=draft_issue)
        make_article(slug="in-scheduled-issue", issue=scheduled_issue)
        make_article(slug="in-public-issue", issue=public_issue)
        make_article(slug="web-only", issue=None)
        assert self.visible() == {"in-public-issue", "web-only"}
        assert set(Issue.objects.published()) == {public_issue}

    def test_is_public_agrees_with_published(self):
        articles = [
            make_article(),
            make_article(status=Article.Status.DRAFT),
            make_article(published_at=timezone.now() + timedelta(days=1)),
            make_article(issue=make_issue(status=Issue.Status.DRAFT)),
        ]
        public = set(Article.objects.published())
        for article in articles:
            assert article.is_public == (article in public)


class TestRelatedItems:
    def test_ranking_picked_then_shared_topics_then_recency(self):
        a, b, c = make_topic("Breast Cancer"), make_topic("Infections"), make_topic("Other")
        now = timezone.now()
        article = make_article(topics=[a, b])
        picked_old = make_article(slug="picked", topics=[c], published_at=now - timedelta(days=300))
        two_shared = make_article(slug="two", topics=[a, b], published_at=now - timedelta(days=50))
        make_article(slug="one-new", topics=[a], published_at=now - timedelta(days=2))
        make_article(slug="one-old", topics=[b], published_at=now - timedelta(days=9))
        make_article(slug="unrelated", topics=[c])
        make_article(slug="draft", topics=[a, b], status=Article.Status.DRAFT)
        make_article(slug="future", topics=[a, b], published_at=now + timedelta(days=1))
        hidden = make_article(slug="hidden-pick", status=Article.Status.DRAFT)
        RelatedItem.objects.create(article=article, related=hidden, position=1)
        RelatedItem.objects.create(article=article, related=picked_old, position=2)
        RelatedItem.objects.create(article=article, related=two_shared, position=3)

        related = article.related_items(10)

        # Then the newest articles fill the list: the seed page always shows ten.
        assert [r.slug for r in related] == ["picked", "two", "one-new", "one-old", "unrelated"]
        assert article not in related
        assert article.related_items(2) == [picked_old, two_shared]

    def test_other_articles_picks_do_not_leak_in(self):
        topic = make_topic("Breast Cancer")
        article, other = make_article(topics=[topic]), make_article(topics=[topic])
        x, y = make_article(slug="x"), make_article(slug="y")
        in_draft_issue = make_article(slug="in-draft-issue", issue=make_issue(status="draft"))
        RelatedItem.objects.create(article=other, related=x, position=0)
        RelatedItem.objects.create(article=other, related=y, position=9)
        RelatedItem.objects.create(article=article, related=x, position=5)
        RelatedItem.objects.create(article=article, related=y, position=1)
        RelatedItem.objects.create(article=article, related=in_draft_issue, position=0)

        assert article.related_items(10) == [y, x, other]

    def test_an_article_cannot_relate_to_itself(self):
        article = make_article()
        with pytest.raises(IntegrityError):
            RelatedItem.objects.create(article=article, related=article)

    @pytest.mark.parametrize("n", [1, 20])
    def test_fixed_query_count(self, n, django_assert_max_num_queries):
        topic = make_topic("Breast Cancer")
        article = make_article(topics=[topic])
        authors = [make_author() for _ in range(3)]
        for i in range(n):
            other = make_article(topics=[topic, make_topic()], authors=authors)
            if i % 2:
                RelatedItem.objects.create(article=article, related=other, position=i)
        article = Article.objects.get(pk=article.pk)
        # the picked and ranked, then the newest to fill the list: with what an item shows
        with django_assert_max_num_queries(2):
            related = article.related_items(20)
            shown = [(item.topics_line, item.byline, item.issue, item.section) for item in related]
        assert len(shown) == n
        assert all(byline == ", ".join(a.display_name for a in authors) for _, byline, *_ in shown)


def test_topics_keep_the_editors_order():
    article = make_article()
    for position, name in enumerate(["Tumor Lysis Syndrome", "Breast Cancer"], start=1):
        ArticleTopic.objects.create(article=article, topic=make_topic(name), position=position)
    listed = Article.objects.for_listing().get(pk=article.pk)
    assert listed.categories == ["Tumor Lysis Syndrome", "Breast Cancer"]


class TestIdentifierValidation:
    def test_reference_doi_and_pmid_links(self):
        reference = make_article(references=["A."]).references.get()
        reference.doi, reference.pmid = "10.1158/1078-0432.CCR-21-1234", "34724978"
        reference.full_clean()
        assert reference.doi_url == "https://doi.org/10.1158/1078-0432.CCR-21-1234"
        assert reference.pubmed_url == "https://pubmed.ncbi.nlm.nih.gov/34724978/"

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("doi", "https://doi.org/10.11/x"),
            ("doi", "doi 10.1158"),
            ("doi", "10.11/x"),
            ("pmid", "PMID 34724978x"),
            ("pmid", "0123"),
        ],
    )
    def test_bad_reference_identifiers(self, field, value):
        reference = make_article(references=["A."]).references.get()
        setattr(reference, field, value)
        with pytest.raises(ValidationError) as error:
            reference.full_clean()
        assert list(error.value.message_dict) == [field]

    @pytest.mark.parametrize(
        ("field", "value", "stored"),
        [
            ("doi", "https://doi.org/10.1158/x", "10.1158/x"),
            ("doi", "doi:10.1158/x.", "10.1158/x"),
            ("pmid", "PMID 34724978", "34724978"),
            ("pmid", "PMID: 34724978.", "34724978"),
        ],
    )
    def test_reference_identifiers_are_stored_normalized(self, field, value, stored):
        reference = make_article(references=["A."]).references.get()
        setattr(reference, field, value)
        reference.full_clean()
        assert getattr(reference, field) == stored

    def test_reference_url(self):
        reference = make_article(references=["A."]).references.get()
        reference.url = "javascript:alert(1)"
        with pytest.raises(ValidationError, match="valid URL"):
            reference.full_clean()

    @pytest.mark.parametrize(
        ("orcid", "ok"),
        [
            ("0000-0002-1825-0097", True),
            ("0000-0002-1694-233X", True),
            ("0000-0002-1825-0098", False),
            ("https://orcid.org/0000-0002-1825-0097", False),
            ("0000000218250097", False),
        ],
    )
    def test_orcid_with_checksum(self, orcid, ok):
        author = make_author()
        author.orcid = orcid
        if ok:
            author.full_clean()
        else:
            with pytest.raises(ValidationError) as error:
                author.full_clean()
            assert "orcid" in error.value.message_dict

    @pytest.mark.parametrize(
        ("issn", "ok"),
        [("2164-1153", True), ("2164-1161", True), ("2164-1154", False), ("21641153", False)],
    )
    def test_issn(self, issn, ok):
        journal = make_journal()
        journal.issn_print = issn
        if ok:
            journal.full_clean()
        else:
            with pytest.raises(ValidationError) as error:
                journal.full_clean()
            assert "issn_print" in error.value.message_dict

    def test_journal_doi_prefix(self):
        journal = Journal(name="J", short_name="J", slug="j", doi_prefix="10.1/abc")
        with pytest.raises(ValidationError) as error:
            journal.full_clean()
        assert "doi_prefix" in error.value.message_dict


def test_byline_and_picks_left_at_position_zero_are_ordered_by_id_not_by_chance():
    """Editors often leave the position column at 0: rows then keep the order they were
    added (their ids). Without that tie-break the database may return them in any order."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from articles.models import Authorship

    article = make_article()
    authors = [make_author(family_name=name) for name in ("Joseph", "Foolad", "Patel")]
    picks = [make_article(slug=f"pick-{i}") for i in range(3)]
    # Rows stored in the opposite order to their ids, as edits can leave them. The picks
    # are ordered when the related list is ranked, on save.
    with CaptureQueriesContext(connection) as queries:
        for offset, (author, pick) in enumerate(reversed(list(zip(authors, picks, strict=True)))):
            Authorship.objects.create(pk=900 - offset, article=article, author=author, position=0)
            RelatedItem.objects.create(pk=900 - offset, article=article, related=pick, position=0)
        listed = Article.objects.for_listing().get(pk=article.pk)
        assert [a.family_name for a in listed.ordered_authors] == ["Joseph", "Foolad", "Patel"]
        assert article.related_items(3) == picks
    orders = " | ".join(q["sql"].rpartition("ORDER BY")[2] for q in queries.captured_queries)
    for table in ("articles_authorship", "articles_relateditem"):
        assert f'"{table}"."position" ASC, "{table}"."id" ASC' in orders


def test_an_issue_without_a_number_cannot_be_entered_twice():
    """NULLs slip past the unique constraint; the model says so before saving."""
    special = {"cover_date": date(2022, 3, 1), "number": None, "kind": Issue.Kind.SPECIAL_FEATURE}
    make_issue(**special)
    twin = Issue(journal=make_journal(), volume=12, slug="twin", **special)
    with pytest.raises(ValidationError, match="already an issue “JHOP - March 2022 Vol 12 Spec"):
        twin.full_clean()
    later = Issue(journal=make_journal(), volume=12, slug="later", **special)
    later.cover_date = date(2022, 9, 1)
    later.full_clean()


def test_issue_dateline_says_month_volume_and_number_as_the_label_does():
    issue = make_issue(cover_date=date(2022, 6, 1), volume=12, number=3)
    assert issue.dateline == "June 2022 · Vol 12, No 3"
    assert issue.label.endswith(issue.dateline.replace(" · ", " "))
    assert make_issue(cover_date=date(2022, 3, 1), volume=12, number=None).dateline == (
        "March 2022 · Vol 12"
    )


@pytest.mark.parametrize("pattern", ["© {yr} {holder}", "© {year} {holder", "© year} {holder}"])
def test_a_copyright_statement_with_unknown_parts_is_refused(pattern):
    journal = make_journal(copyright_statement=pattern)
    with pytest.raises(ValidationError) as raised:
        journal.full_clean()
    assert raised.value.message_dict["copyright_statement"] == [
        "Use only {year} and {holder} as parts, e.g. “© {year} {holder}”."
    ]
