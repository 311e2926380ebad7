"""What the demo shows: the seed article page's article and related items, plus a little more.

Everything the seed (an article page of JHOP) shows is reproduced exactly: titles,
authors and credentials, issues, dates, sections and topics in the seed's order.
The authors of the extra articles are fictional and say so.
"""

from dataclasses import dataclass, field
from datetime import date
from zoneinfo import ZoneInfo

from articles.models import Article, Issue, Section
from articles.text import slugify

EASTERN = ZoneInfo("America/New_York")

JOURNAL = {
    "slug": "jhop",
    "name": "Journal of Hematology Oncology Pharmacy",
    "short_name": "JHOP",
    "publisher": "Amplity Health",
    "copyright_line": "© Amplity Health. All rights reserved.",
    "licence_url": "https://creativecommons.org/licenses/by-nc-nd/4.0/",
    "licence_name": "Creative Commons Attribution-NonCommercial-NoDerivatives 4.0 International",
    "copyright_statement": "© {year} {holder}. All rights reserved.",
    "abbreviation": "J Hematol Oncol Pharm",
    "issn_print": "2164-1153",
    "issn_online": "2164-1161",
    # Crossref's prefix for test and demonstration deposits.
    "doi_prefix": "10.32013",
    "issue_doi_pattern": "{journal}.issue.{slug}",
    "crossmark_policy_doi": "10.32013/jhop.crossmark-policy",
    "postal_address": "Amplity Health\n1 Example Plaza, Suite 100\nPhiladelphia, PA 19103\nUSA",
    "description": (
        "The peer-reviewed journal for hematology/oncology pharmacists: original research, "
        "reviews, case reports and FDA approval updates."
    ),
}

# name, content kind
SECTIONS = [
    ("Original Article", Section.ContentKind.SCHOLARLY),
    ("Case Reports", Section.ContentKind.SCHOLARLY),
    ("From the Literature", Section.ContentKind.SCHOLARLY),
    ("Clinical Trials", Section.ContentKind.SCHOLARLY),
    ("Year in Review", Section.ContentKind.SCHOLARLY),
    ("HOPA Abstracts", Section.ContentKind.SCHOLARLY),
    ("HOPA Highlights", Section.ContentKind.NEWS),
    ("FDA Oncology Update", Section.ContentKind.NEWS),
]

TOPICS = [
    "Breast Cancer",
    "Checkpoint Inhibitors",
    "Adverse Events",
    "Infections",
    "Tumor Lysis Syndrome",
    "Multiple Myeloma",
    "Supportive Care",
]


@dataclass
class IssueData:
    slug: str
    cover_date: date
    volume: int | None = None
    number: int | None = None
    kind: str = Issue.Kind.REGULAR
    title: str = ""


ISSUES = [
    IssueData("2022-08-vol-12-no-4", date(2022, 8, 1), 12, 4),
    IssueData("2022-06-vol-12-no-3", date(2022, 6, 1), 12, 3),
    IssueData("2022-04-vol-12-no-2", date(2022, 4, 1), 12, 2),
    IssueData(
        "2022-03-vol-12-special-feature", date(2022, 3, 1), 12, kind=Issue.Kind.SPECIAL_FEATURE
    ),
    IssueData(
        "2022-02-clinical-trials-to-clinical-practice",
        date(2022, 2, 1),
        12,
        kind=Issue.Kind.SPECIAL_ISSUE,
        title="Clinical Trials to Clinical Practice",
    ),
    IssueData("2022-02-vol-12-no-1", date(2022, 2, 1), 12, 1),
    IssueData(
        "2021-year-in-review-breast-cancer",
        date(2022, 1, 1),
        12,
        kind=Issue.Kind.YEAR_IN_REVIEW,
        title="2021 Year in Review - Breast Cancer",
    ),
    IssueData("2019-06-vol-9-no-2", date(2019, 6, 1), 9, 2),
]


@dataclass
class AuthorData:
    given_name: str
    family_name: str
    credentials: str
    affiliation: str = ""
    bio: str = ""

    @property
    def slug(self) -> str:
        return slugify(f"{self.given_name} {self.family_name}")


SEED_AUTHORS = [
    AuthorData("Robert J.", "Ignoffo", "PharmD, FASHP, FCSHP, FHOPA"),
    AuthorData("Donyika", "Joseph", "PharmD, BCOP"),
    AuthorData("Farnaz", "Foolad", "PharmD, BCPS"),
    AuthorData("Neelam K.", "Patel", "PharmD, BCOP"),
    AuthorData("Meghan", "Karuturi", "MD, MSc"),
    AuthorData("Jaime", "Kaushik", "PharmD, BCOP"),
    AuthorData("Meg", "Barbor", "MPH"),
    AuthorData("Blake T.", "Robbins", "PharmD, MBA"),
    AuthorData("Alexander M.", "Kreimer", "PharmD, BCPS"),
    AuthorData("Reema A.", "Patel", "MD"),
    AuthorData("Allison R.", "Butts", "PharmD, BCOP"),
]
DEMO_AUTHORS = [
    AuthorData(
        "Jordan A.",
        "Rivera",
        "PharmD, BCOP",
        "Department of Pharmacy, Example University Medical Center",
        "Jordan Rivera is a fictional clinical pharmacist specialist in hematologic "
        "malignancies, created for this demonstration site.",
    ),
    AuthorData(
        "Priya",
        "Natarajan",
        "PharmD, MS, BCPS",
        "Example Cancer Institute",
        "Priya Natarajan is a fictional oncology pharmacy researcher whose demo articles "
        "show how author pages list credentials, affiliation and work.",
    ),
    AuthorData(
        "Samuel",
        "Okafor",
        "MD, MPH",
        "Division of Hematology, Example Health System",
        "Samuel Okafor is a fictional hematologist, part of the demonstration content.",
    ),
]


@dataclass
class ArticleData:
    slug: str
    title: str
    issue: str
    published: tuple[int, int, int]
    section: str | None
    topics: list[str]
    authors: list[str] = field(default_factory=list)
    body: str = ""
    standfirst: str = ""
    references: list[str] = field(default_factory=list)
    status: str = Article.Status.PUBLISHED
    is_featured: bool = False
    with_chart: bool = False


MAIN_SLUG = (
    "resistance-mechanisms-to-cdk46-blockade-in-advanced-hr-positive-her2-negative-"
    "breast-cancer-and-emerging-therapeutic-opportunities"
)

MAIN_BODY = """\
<p>The most common breast cancer subtype is hormone receptor (HR)-positive, HER2-negative \
breast cancer, and endocrine therapy is still the most effective treatment. The addition of \
cyclin-dependent kinase (CDK)4/6 inhibitors (ie, palbociclib, ribociclib, abemaciclib) to \
endocrine therapy has significantly improved the outcomes of patients with HR-positive advanced \
breast cancer.[1]</p>
<p>Several preclinical and translational studies have begun to offer light on the genetic and \
molecular landscape underlying resistance to these drugs. Changes affecting cell-cycle mediators \
and activation of oncogenic signal transduction pathways are 2 major drivers of CDK4/6 inhibitor \
treatment resistance. Next-generation sequencing of resistant tumor biopsies in the clinic \
identified the resistance drivers with the greatest translational evidence supporting their \
hypothesized role, which were then verified in laboratory models of HR-positive breast cancer. \
The mitotic spindle regulator Aurora Kinase A (AURKA), as well as the AKT/MAPK signaling \
pathways, have all been identified as common, therapeutically actionable resistance nodes. \
Precision-guided therapy techniques are currently being tested in clinical trials based on these \
findings.[2]</p>
<p>The main target of CDK4/6 is the tumor suppressor retinoblastoma. In preclinical studies, \
loss of retinoblastoma was found to be a driver of CDK4/6 inhibitor resistance.[1]</p>
<p>CDK4/6 inhibitors revolutionized the treatment of HR-positive, HER2-negative metastatic \
breast cancer, improving critical clinical outcomes while maintaining a manageable safety \
profile. The mechanism of action of CDK4/6 inhibitors and their implications in contemporary \
clinical practice are being studied to fully understand all the mechanisms of resistance.[1]</p>"""

MAIN_REFERENCES = [
    "Roberto M, Astone A, Botticelli A, et al. CDK4/6 inhibitor treatments in patients with "
    "hormone receptor positive, HER2 negative advanced breast cancer: potential molecular "
    "mechanisms, clinical implications and future perspectives. Cancers (Basel). "
    "2021;13:332.",
    "Lloyd MR, Spring LM, Bardia A, Wander SA. Mechanisms of resistance to CDK4/6 blockade in "
    "advanced hormone receptor-positive, HER2-negative breast cancer and emerging therapeutic "
    "opportunities. Clin Cancer Res. 2021 Nov 1. Epub ahead of print.",
]

MAIN = ArticleData(
    slug=MAIN_SLUG,
    title="Resistance Mechanisms to CDK4/6 Blockade in Advanced HR-Positive, HER2-Negative "
    "Breast Cancer and Emerging Therapeutic Opportunities",
    issue="2021-year-in-review-breast-cancer",
    published=(2022, 1, 21),
    section=None,
    topics=["Breast Cancer"],
    body=MAIN_BODY,
    references=MAIN_REFERENCES,
    is_featured=True,
)

# The seed's "Related Items", in its order.
RELATED = [
    ArticleData(
        "enhertu-regular-fda-approval-unresectable-or-metastatic-breast-cancer",
        "Enhertu Received Regular FDA Approval for Patients with Unresectable or Metastatic "
        "Breast Cancer",
        "2022-06-vol-12-no-3",
        (2022, 6, 16),
        "FDA Oncology Update",
        ["Breast Cancer"],
    ),
    ArticleData(
        "pembrolizumab-plus-chemotherapy-early-triple-negative-breast-cancer-keynote-522",
        "Pembrolizumab plus Chemotherapy for Neoadjuvant and Adjuvant Therapy in Early "
        "Triple-Negative Breast Cancer: KEYNOTE-522",
        "2022-04-vol-12-no-2",
        (2022, 5, 3),
        "From the Literature",
        ["Breast Cancer", "Checkpoint Inhibitors"],
        ["robert-j-ignoffo"],
    ),
    ArticleData(
        "lynparza-fda-approval-adjuvant-high-risk-early-breast-cancer-brca-mutation",
        "Lynparza Receives FDA Approval for Adjuvant Treatment of High-Risk Early Breast Cancer "
        "with BRCA Mutation",
        "2022-04-vol-12-no-2",
        (2022, 5, 3),
        "FDA Oncology Update",
        ["Breast Cancer"],
    ),
    ArticleData(
        "adverse-events-breast-cancer-hiv-antiretroviral-therapy-chemotherapy",
        "Evaluating Adverse Events in Patients with Breast Cancer and HIV Infection Receiving "
        "Concomitant Antiretroviral Therapy and Chemotherapy with Curative Intent",
        "2022-04-vol-12-no-2",
        (2022, 5, 2),
        "Original Article",
        ["Adverse Events", "Breast Cancer", "Infections"],
        [
            "donyika-joseph",
            "farnaz-foolad",
            "neelam-k-patel",
            "meghan-karuturi",
            "jaime-kaushik",
        ],
    ),
    ArticleData(
        "advances-in-breast-cancer-treatments-extending-patients-survival",
        "Advances in Breast Cancer Treatments: Are We Extending Patients’ Survival?",
        "2019-06-vol-9-no-2",
        (2022, 4, 28),
        "HOPA Highlights",
        ["Breast Cancer"],
        ["meg-barbor"],
    ),
    ArticleData(
        "pharmacist-led-virtual-clinic-metastatic-breast-cancer-cdk46-inhibitors",
        "Development and Implementation of a Pharmacist-Led Virtual Clinic Improve the "
        "Management of Patients with Metastatic Breast Cancer Receiving CDK4/6 Inhibitors",
        "2022-03-vol-12-special-feature",
        (2022, 3, 22),
        "HOPA Abstracts",
        ["Breast Cancer"],
    ),
    ArticleData(
        "time-to-treatment-initiation-nonmetastatic-breast-cancer-covid-19",
        "Time to Treatment Initiation and Outcomes for Patients with Nonmetastatic Breast Cancer "
        "Before and During the COVID-19 Pandemic at Community Cancer Centers",
        "2022-03-vol-12-special-feature",
        (2022, 3, 22),
        "HOPA Abstracts",
        ["Breast Cancer"],
    ),
    ArticleData(
        "spontaneous-tumor-lysis-syndrome-stage-iv-her2-positive-breast-cancer",
        "Spontaneous Tumor Lysis Syndrome in a Patient with Stage IV HER2-Positive Breast "
        "Cancer: Case Report",
        "2022-02-vol-12-no-1",
        (2022, 3, 1),
        "Case Reports",
        ["Tumor Lysis Syndrome", "Breast Cancer"],
        ["blake-t-robbins", "alexander-m-kreimer", "reema-a-patel", "allison-r-butts"],
    ),
    ArticleData(
        "sacituzumab-govitecan-second-line-metastatic-triple-negative-breast-cancer",
        "Sacituzumab Govitecan Moves to Second-Line Therapy for Metastatic Triple-Negative "
        "Breast Cancer: Applying the Lessons from Clinical Trials to Clinical Practice",
        "2022-02-clinical-trials-to-clinical-practice",
        (2022, 2, 3),
        "Clinical Trials",
        ["Breast Cancer"],
    ),
    ArticleData(
        "monarch-3-subanalysis-abemaciclib-hr-positive-her2-negative-advanced-breast-cancer",
        "A Subanalysis of the Phase 3 MONARCH 3 Study of Abemaciclib as Initial Therapy for "
        "HR-Positive, HER2-Negative Advanced Breast Cancer",
        "2021-year-in-review-breast-cancer",
        (2022, 1, 21),
        None,
        ["Breast Cancer"],
    ),
]

DEMO_NOTE = (
    "<p>This is demonstration content for the JHOP publishing system. The full text of this "
    "article appears in the journal; here it stands in so that every page has something real "
    "to show.</p>"
)

EXTRA = [
    ArticleData(
        "demo-pharmacist-management-of-bispecific-antibody-toxicities",
        "Pharmacist Management of Bispecific Antibody Toxicities in Multiple Myeloma: "
        "A Demonstration Review",
        "2022-08-vol-12-no-4",
        (2022, 8, 15),
        "Original Article",
        ["Multiple Myeloma", "Adverse Events"],
        ["jordan-a-rivera", "priya-natarajan"],
        standfirst="A fictional review, written for this demo site, that shows a scholarly "
        "article with several authors, citations and references.",
        body=(
            "<h2>Background</h2><p>Demonstration text: bispecific antibodies are discussed in "
            "several reviews.[1,2] Cytokine release syndrome is graded with consensus "
            "criteria.[3]</p><h2>Discussion</h2><p>Pharmacists coordinate premedication and "
            "monitoring.[1-3]</p>"
        ),
        references=[
            # Entered as editors paste them: the DOI and PMID go to their own fields.
            # 10.5555 is Crossref's prefix for examples; these DOIs resolve nowhere.
            "Demo Reference A, Example B. An illustrative citation in AMA style. "
            "Demo J Oncol Pharm. 2021;1:1-10. doi:10.5555/demo.2021.0001",
            "Example C, Sample D. A second illustrative citation. Demo Hematol. 2022;2:20-30. "
            "doi:10.5555/demo.2022.0020.",
            "Sample E. A third illustrative citation. Demo Support Care. 2020;3:40-50.",
        ],
        is_featured=True,
        with_chart=True,
    ),
    ArticleData(
        "demo-infection-prophylaxis-in-hematologic-malignancies",
        "Infection Prophylaxis in Hematologic Malignancies: A Demonstration Case Report",
        "2022-08-vol-12-no-4",
        (2022, 8, 15),
        "Case Reports",
        ["Infections", "Supportive Care"],
        ["samuel-okafor", "jordan-a-rivera"],
        standfirst="A fictional case report for the demo site.",
    ),
    ArticleData(
        "demo-fda-approval-update-august-2022",
        "FDA Oncology Update: Demonstration Approval Summary",
        "2022-08-vol-12-no-4",
        (2022, 8, 16),
        "FDA Oncology Update",
        ["Multiple Myeloma"],
        standfirst="A fictional news item: news sections get NewsArticle metadata.",
    ),
    ArticleData(
        "demo-web-only-supportive-care-perspective",
        "Supportive Care Perspectives: A Web-Only Demonstration Article",
        "",
        (2022, 9, 1),
        "From the Literature",
        ["Supportive Care", "Breast Cancer"],
        ["priya-natarajan"],
        standfirst="Web-only articles belong to no issue.",
    ),
    ArticleData(
        "demo-draft-not-yet-published",
        "A Draft Article (Not Public): Try “Share a draft” in the Admin",
        "2022-08-vol-12-no-4",
        (2022, 8, 20),
        "Original Article",
        ["Multiple Myeloma"],
        ["samuel-okafor"],
        status=Article.Status.DRAFT,
        standfirst="Drafts are visible only to editors and to holders of a preview link.",
    ),
]
