from datetime import datetime
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.contrib.sites.models import Site
from django.core.management import call_command
from django.core.management.base import CommandError

from articles.demo import MAIN_SLUG
from articles.derived import verify
from articles.models import Article, Journal

pytestmark = pytest.mark.django_db
NEW_YORK = ZoneInfo("America/New_York")

SEED_RELATED = [
    (
        "Enhertu Received Regular FDA Approval for Patients with Unresectable or Metastatic "
        "Breast Cancer",
        "",
        "JHOP - June 2022 Vol 12, No 3",
        (2022, 6, 16),
        ["FDA Oncology Update", "Breast Cancer"],
    ),
    (
        "Pembrolizumab plus Chemotherapy for Neoadjuvant and Adjuvant Therapy in Early "
        "Triple-Negative Breast Cancer: KEYNOTE-522",
        "Robert J. Ignoffo, PharmD, FASHP, FCSHP, FHOPA",
        "JHOP - April 2022 Vol 12, No 2",
        (2022, 5, 3),
        ["From the Literature", "Breast Cancer", "Checkpoint Inhibitors"],
    ),
    (
        "Lynparza Receives FDA Approval for Adjuvant Treatment of High-Risk Early Breast Cancer "
        "with BRCA Mutation",
        "",
        "JHOP - April 2022 Vol 12, No 2",
        (2022, 5, 3),
        ["FDA Oncology Update", "Breast Cancer"],
    ),
    (
        "Evaluating Adverse Events in Patients with Breast Cancer and HIV Infection Receiving "
        "Concomitant Antiretroviral Therapy and Chemotherapy with Curative Intent",
        "Donyika Joseph, PharmD, BCOP, Farnaz Foolad, PharmD, BCPS, Neelam K. Patel, PharmD, "
        "BCOP, Meghan Karuturi, MD, MSc, Jaime Kaushik, PharmD, BCOP",
        "JHOP - April 2022 Vol 12, No 2",
        (2022, 5, 2),
        ["Original Article", "Adverse Events", "Breast Cancer", "Infections"],
    ),
    (
        "Advances in Breast Cancer Treatments: Are We Extending Patients’ Survival?",
        "Meg Barbor, MPH",
        "JHOP - June 2019 Vol 9, No 2",
        (2022, 4, 28),
        ["HOPA Highlights", "Breast Cancer"],
    ),
    (
        "Development and Implementation of a Pharmacist-Led Virtual Clinic Improve the "
        "Management of Patients with Metastatic Breast Cancer Receiving CDK4/6 Inhibitors",
        "",
        "JHOP - March 2022 Vol 12 Special Feature",
        (2022, 3, 22),
        ["HOPA Abstracts", "Breast Cancer"],
    ),
    (
        "Time to Treatment Initiation and Outcomes for Patients with Nonmetastatic Breast Cancer "
        "Before and During the COVID-19 Pandemic at Community Cancer Centers",
        "",
        "JHOP - March 2022 Vol 12 Special Feature",
        (2022, 3, 22),
        ["HOPA Abstracts", "Breast Cancer"],
    ),
    (
        "Spontaneous Tumor Lysis Syndrome in a Patient with Stage IV HER2-Positive Breast "
        "Cancer: Case Report",
        "Blake T. Robbins, PharmD, MBA, Alexander M. Kreimer, PharmD, BCPS, Reema A. Patel, MD, "
        "Allison R. Butts, PharmD, BCOP",
        "JHOP - February 2022 Vol 12, No 1",
        (2022, 3, 1),
        ["Case Reports", "Tumor Lysis Syndrome", "Breast Cancer"],
    ),
    (
        "Sacituzumab Govitecan Moves to Second-Line Therapy for Metastatic Triple-Negative "
        "Breast Cancer: Applying the Lessons from Clinical Trials to Clinical Practice",
        "",
        "February 2022 Clinical Trials to Clinical Practice",
        (2022, 2, 3),
        ["Clinical Trials", "Breast Cancer"],
    ),
    (
        "A Subanalysis of the Phase 3 MONARCH 3 Study of Abemaciclib as Initial Therapy for "
        "HR-Positive, HER2-Negative Advanced Breast Cancer",
        "",
        "2021 Year in Review - Breast Cancer",
        (2022, 1, 21),
        ["Breast Cancer"],
    ),
]


def row_counts() -> dict[str, int]:
    # Unmanaged models (the PostgreSQL-only search table's view) are not the loader's rows.
    models = apps.get_app_config("articles").get_models()
    return {m._meta.label: m.objects.count() for m in models if m._meta.managed}


def load(*args) -> str:
    out = StringIO()
    call_command("load_demo", *args, stdout=out)
    return out.getvalue()


def test_load_demo_twice_gives_the_same_rows():
    first = load()
    assert verify.drifts() == []  # every stored copy as a fresh computation gives it
    counts = row_counts()
    second = load()
    assert verify.drifts() == []
    assert row_counts() == counts
    assert counts["articles.Article"] >= 15
    assert "articles: 16 created\n" in first
    assert "articles: 16 unchanged\n" in second
    assert "created" not in second and "updated" not in second and "removed" not in second


def test_load_demo_restores_edited_values_and_keeps_dates():
    load()
    article = Article.objects.get(slug=MAIN_SLUG)
    Article.objects.filter(pk=article.pk).update(title="Edited")
    assert "articles: 1 updated, 15 unchanged" in load()
    article.refresh_from_db()
    assert article.title.startswith("Resistance Mechanisms")
    assert article.updated_at == article.published_at


def test_journal_is_the_seed_journal():
    load()
    journal = Journal.objects.primary()
    assert (journal.name, journal.short_name, journal.publisher) == (
        "Journal of Hematology Oncology Pharmacy",
        "JHOP",
        "Amplity Health",
    )
    assert journal.copyright_line == "© Amplity Health. All rights reserved."
    assert (journal.issn_print, journal.issn_online) == ("2164-1153", "2164-1161")
    assert journal.postal_address
    journal.full_clean()


def test_main_article_as_the_seed_shows_it():
    load()
    article = Article.objects.published().for_listing().get(slug=MAIN_SLUG)
    assert article.title == (
        "Resistance Mechanisms to CDK4/6 Blockade in Advanced HR-Positive, HER2-Negative "
        "Breast Cancer and Emerging Therapeutic Opportunities"
    )
    assert article.issue.label == "2021 Year in Review - Breast Cancer"
    assert article.section is None
    assert article.categories == ["Breast Cancer"]
    paragraphs = article.body.split("</p>")[:-1]
    assert len(paragraphs) == 4
    assert paragraphs[0].endswith("patients with HR-positive advanced breast cancer.[1]")
    assert paragraphs[1].endswith("based on these findings.[2]")
    assert paragraphs[3].endswith("to fully understand all the mechanisms of resistance.[1]")
    assert article.cited_numbers == {1, 2}
    assert [r.citation for r in article.references.all()] == [
        "Roberto M, Astone A, Botticelli A, et al. CDK4/6 inhibitor treatments in patients with "
        "hormone receptor positive, HER2 negative advanced breast cancer: potential molecular "
        "mechanisms, clinical implications and future perspectives. Cancers (Basel). "
        "2021;13:332.",
        "Lloyd MR, Spring LM, Bardia A, Wander SA. Mechanisms of resistance to CDK4/6 blockade "
        "in advanced hormone receptor-positive, HER2-negative breast cancer and emerging "
        "therapeutic opportunities. Clin Cancer Res. 2021 Nov 1. Epub ahead of print.",
    ]


def test_related_items_exactly_as_the_seed_lists_them():
    load()
    article = Article.objects.get(slug=MAIN_SLUG)
    related = article.related_items(10)
    shown = [
        (
            item.title,
            ", ".join(a.display_name for a in item.ordered_authors),
            item.issue.label,
            item.published_at.astimezone(NEW_YORK).timetuple()[:3],
            item.categories,
        )
        for item in related
    ]
    assert shown == SEED_RELATED
    # The lines stored for list items (articles.derived.cards) say the same.
    assert [
        (
            item.byline,
            [item.section.name, *item.topics_line.split(", ")]
            if item.section
            else item.topics_line.split(", "),
        )
        for item in related
    ] == [(byline, categories) for _, byline, _, _, categories in SEED_RELATED]
    for item in related:
        assert item.published_at == datetime(
            *item.published_at.astimezone(NEW_YORK).timetuple()[:3], 10, tzinfo=NEW_YORK
        )


def test_credentials_are_separate_from_names():
    load()
    item = Article.objects.get(title__startswith="Evaluating Adverse Events")
    karuturi = item.ordered_authors[3]
    assert (karuturi.given_name, karuturi.family_name, karuturi.credentials) == (
        "Meghan",
        "Karuturi",
        "MD, MSc",
    )
    assert karuturi.name == "Meghan Karuturi"


def test_every_page_type_has_content(client):
    load()
    article = (
        Article.objects.published()
        .filter(authorships__isnull=False, issue__isnull=False, section__isnull=False)
        .first()
    )
    author = article.ordered_authors[0]
    for url in [
        "/",
        article.get_absolute_url(),
        article.issue.get_absolute_url(),
        author.get_absolute_url(),
        article.topics.first().get_absolute_url(),
        article.section.get_absolute_url(),
    ]:
        assert client.get(url).status_code == 200, url
    assert Article.objects.exclude(pk__in=Article.objects.published()).exists()


def test_dry_run_reports_and_saves_nothing():
    out = load("--dry-run")
    assert "articles: 16 created" in out
    assert "Dry run: nothing was saved." in out
    assert Article.objects.count() == 0


def test_load_demo_removes_rows_it_no_longer_wants():
    load()
    article = Article.objects.get(slug=MAIN_SLUG)
    article.references.create(position=3, citation="An extra reference.")
    assert "references: 5 unchanged, 1 removed" in load()
    assert article.references.count() == 2


# The seed page's "Related Items" block, line for line (its stray " ," before some commas
# is the original site's markup, not the journal's style, and is normalised below).
SEED_RELATED_LINES = """\
Enhertu Received Regular FDA Approval for Patients with Unresectable or Metastatic Breast Cancer
JHOP - June 2022 Vol 12, No 3 published on June 16, 2022 in FDA Oncology Update, Breast Cancer
Pembrolizumab plus Chemotherapy for Neoadjuvant and Adjuvant Therapy in Early Triple-Negative \
Breast Cancer: KEYNOTE-522
Robert J. Ignoffo, PharmD, FASHP, FCSHP, FHOPA
JHOP - April 2022 Vol 12, No 2 published on May 3, 2022 in From the Literature, Breast Cancer, \
Checkpoint Inhibitors
Lynparza Receives FDA Approval for Adjuvant Treatment of High-Risk Early Breast Cancer with BRCA \
Mutation
JHOP - April 2022 Vol 12, No 2 published on May 3, 2022 in FDA Oncology Update, Breast Cancer
Evaluating Adverse Events in Patients with Breast Cancer and HIV Infection Receiving Concomitant \
Antiretroviral Therapy and Chemotherapy with Curative Intent
Donyika Joseph, PharmD, BCOP, Farnaz Foolad, PharmD, BCPS, Neelam K. Patel, PharmD, BCOP, \
Meghan Karuturi, MD, MSc, Jaime Kaushik, PharmD, BCOP
JHOP - April 2022 Vol 12, No 2 published on May 2, 2022 in Original Article, Adverse Events, \
Breast Cancer, Infections
Advances in Breast Cancer Treatments: Are We Extending Patients’ Survival?
Meg Barbor, MPH
JHOP - June 2019 Vol 9, No 2 published on April 28, 2022 in HOPA Highlights, Breast Cancer
Development and Implementation of a Pharmacist-Led Virtual Clinic Improve the Management of \
Patients with Metastatic Breast Cancer Receiving CDK4/6 Inhibitors
JHOP - March 2022 Vol 12 Special Feature published on March 22, 2022 in HOPA Abstracts, Breast \
Cancer
Time to Treatment Initiation and Outcomes for Patients with Nonmetastatic Breast Cancer Before \
and During the COVID-19 Pandemic at Community Cancer Centers
JHOP - March 2022 Vol 12 Special Feature published on March 22, 2022 in HOPA Abstracts, Breast \
Cancer
Spontaneous Tumor Lysis Syndrome in a Patient with Stage IV HER2-Positive Breast Cancer: Case \
Report
Blake T. Robbins, PharmD, MBA , Alexander M. Kreimer, PharmD, BCPS , Reema A. Patel, MD, \
Allison R. Butts, PharmD, BCOP
JHOP - February 2022 Vol 12, No 1 published on March 1, 2022 in Case Reports, Tumor Lysis \
Syndrome, Breast Cancer
Sacituzumab Govitecan Moves to Second-Line Therapy for Metastatic Triple-Negative Breast Cancer: \
Applying the Lessons from Clinical Trials to Clinical Practice
February 2022 Clinical Trials to Clinical Practice published on February 3, 2022 in Clinical \
Trials, Breast Cancer
A Subanalysis of the Phase 3 MONARCH 3 Study of Abemaciclib as Initial Therapy for HR-Positive, \
HER2-Negative Advanced Breast Cancer
2021 Year in Review - Breast Cancer published on January 21, 2022 in Breast Cancer"""


def test_article_page_shows_the_seed_lines_exactly(client):
    """What a reader sees, line for line: title, issue line, cited text, references, related."""
    import lxml.html

    load()
    page = client.get(Article.objects.get(slug=MAIN_SLUG).get_absolute_url())
    assert page.status_code == 200
    doc = lxml.html.fromstring(page.text)

    def text(element) -> str:
        return " ".join(element.text_content().split())

    assert text(doc.get_element_by_id("article-title")).startswith("Resistance Mechanisms to")
    [issue_line] = doc.find_class("issue-line")
    assert text(issue_line) == "2021 Year in Review - Breast Cancer - Breast Cancer"
    assert [text(sup) for sup in doc.find_class("cite")] == ["1", "2", "1", "1"]
    references = doc.xpath('//section[@class="references"]//li')
    assert [li.get("value") for li in references] == ["1", "2"]
    assert text(references[0]).startswith("↑ Roberto M, Astone A, Botticelli A, et al.")
    assert text(references[1]).endswith("Clin Cancer Res. 2021 Nov 1. Epub ahead of print.")

    shown = [
        text(line)
        for item in doc.xpath('//section[@class="related"]//article')
        for line in item.xpath("./*[self::h3 or self::p]")
    ]
    assert shown == SEED_RELATED_LINES.replace(" ,", ",").splitlines()


def test_load_demo_refuses_in_production_unless_forced(settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="production site"):
        call_command("load_demo", stdout=StringIO())
    assert not Article.objects.exists()

    out = StringIO()
    call_command("load_demo", "--force", "--dry-run", stdout=out)
    assert "articles:" in out.getvalue()


def test_load_demo_points_feed_and_sitemap_links_at_the_port_make_run_serves(settings):
    settings.SITE_URL = "http://127.0.0.1:8123"
    call_command("load_demo", stdout=StringIO())
    assert Site.objects.get_current().domain == "127.0.0.1:8123"
