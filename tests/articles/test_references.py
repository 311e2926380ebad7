"""Pasted reference lists and the one rule for DOIs and PMIDs."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from articles.models import Article, Reference
from articles.references import normalize_doi, parse_reference_list, split_identifiers
from tests.articles.admin_helpers import article_post, inline
from tests.factories import make_article

MANUSCRIPT_LIST = """\
1. Roberto M, Astone A, Botticelli A, et al. CDK4/6 inhibitor treatments in patients with
hormone receptor positive, Her2 negative advanced breast cancer. Cancers (Basel).
2021;13:332. doi:10.3390/cancers13020332

2. Lloyd MR, Spring LM, Bardia A, Wander SA. Mechanisms of resistance to CDK4/6 blockade in
advanced hormone receptor-positive, HER2-negative breast cancer. Clin Cancer Res.
2022;28:821-830. doi: 10.1158/1078-0432.CCR-21-2947. PMID: 34725098.
3. Mullard A. FDA approves first CDK4/6 inhibitor. Nat Rev Drug Discov. 2015;14:159.
https://doi.org/10.1038/nrd4579.
"""


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("10.1056/NEJMoa2115022.", "10.1056/NEJMoa2115022"),
        ("https://doi.org/10.1056/NEJMoa2115022", "10.1056/NEJMoa2115022"),
        ("http://dx.doi.org/10.1056/NEJMoa2115022;", "10.1056/NEJMoa2115022"),
        ("doi: 10.1056/NEJMoa2115022", "10.1056/NEJMoa2115022"),
        ("DOI:10.1016/S0140-6736(21)00001-1.", "10.1016/S0140-6736(21)00001-1"),
        ("(10.1016/j.x.2020.1)", "10.1016/j.x.2020.1"),
        ("<https://doi.org/10.1016/j.x.2020.1>.", "10.1016/j.x.2020.1"),
        ("https://doi.org/10.1002%2Fcncr.33587", "10.1002/cncr.33587"),
    ],
)
def test_normalize_doi(typed, stored):
    assert normalize_doi(typed) == stored


def test_a_numbered_list_gives_one_reference_per_entry_with_its_identifiers():
    refs = parse_reference_list(MANUSCRIPT_LIST)

    assert [r.position for r in refs] == [1, 2, 3]
    assert [r.doi for r in refs] == [
        "10.3390/cancers13020332",
        "10.1158/1078-0432.CCR-21-2947",
        "10.1038/nrd4579",
    ]
    assert [r.pmid for r in refs] == ["", "34725098", ""]
    assert refs[0].citation.startswith("Roberto M, Astone A")
    assert refs[0].citation.endswith("Cancers (Basel). 2021;13:332.")
    assert "hormone receptor positive, Her2" in refs[0].citation  # wrapped lines rejoined
    assert refs[1].citation.endswith("Clin Cancer Res. 2022;28:821-830.")
    assert refs[2].citation.endswith("Nat Rev Drug Discov. 2015;14:159.")
    for ref in refs:
        assert "doi" not in ref.citation.lower() and "PMID" not in ref.citation


@pytest.mark.parametrize("style", ["[{n}] {text}", "{n}) {text}", "{n}. {text}"])
def test_numbering_styles(style):
    text = "\n".join(style.format(n=n, text=f"Author {n}. Title. J. 2020;{n}:1.") for n in (4, 5))
    assert [(r.position, r.citation) for r in parse_reference_list(text)] == [
        (4, "Author 4. Title. J. 2020;4:1."),
        (5, "Author 5. Title. J. 2020;5:1."),
    ]


def test_a_list_without_numbers_has_one_entry_per_line():
    refs = parse_reference_list("Smith A. One. J. 2020.\n\nJones B. Two. J. 2021. PMID 123\n")
    assert [(r.position, r.citation, r.pmid) for r in refs] == [
        (None, "Smith A. One. J. 2020.", ""),
        (None, "Jones B. Two. J. 2021.", "123"),
    ]


def test_a_citation_without_identifiers_is_left_as_typed():
    assert split_identifiers("Smith A. One; J 2020").citation == "Smith A. One; J 2020"


@pytest.mark.django_db
def test_a_reference_moves_its_doi_out_of_the_citation_on_validation():
    article = make_article()
    ref = Reference(
        article=article,
        position=1,
        citation="Smith A. One. J. 2020;1:2. doi:10.1056/NEJMoa2115022.",
        doi="https://doi.org/10.1056/nejmoa2115022",
    )
    ref.full_clean()
    assert (ref.citation, ref.doi) == ("Smith A. One. J. 2020;1:2.", "10.1056/nejmoa2115022")


@pytest.mark.django_db
def test_two_different_dois_for_one_reference_are_an_error():
    ref = Reference(
        article=make_article(),
        position=1,
        citation="Smith A. One. doi:10.1056/NEJMoa2115022",
        doi="10.1056/NEJMoa9999999",
    )
    with pytest.raises(ValidationError) as error:
        ref.full_clean()
    assert "10.1056/NEJMoa2115022" in str(error.value.message_dict["doi"])


@pytest.mark.django_db
def test_article_doi_is_normalized_on_validation():
    article = make_article()
    article.doi = "https://doi.org/10.1234/jhop.2022.1."
    article.full_clean()
    assert article.doi == "10.1234/jhop.2022.1"


def post_with_pasted_list(**overrides):
    return article_post(
        **{
            "body": "<p>See [1], [2] and [3].</p>",
            "reference_list": MANUSCRIPT_LIST,
            **inline("references", [{"position": "", "citation": ""}]),
            **overrides,
        }
    )


@pytest.mark.django_db
def test_pasting_a_reference_list_in_the_admin_creates_the_references(admin_client):
    response = admin_client.post(reverse("admin:articles_article_add"), post_with_pasted_list())

    assert response.status_code == 302, response.context["errors"]
    article = Article.objects.get(slug="a-new-article")
    refs = list(article.references.order_by("position"))
    assert [(r.position, r.doi, r.pmid) for r in refs] == [
        (1, "10.3390/cancers13020332", ""),
        (2, "10.1158/1078-0432.CCR-21-2947", "34725098"),
        (3, "10.1038/nrd4579", ""),
    ]
    # The page's body (the head's citation_reference tags name each reference again).
    page = admin_client.get(article.get_absolute_url()).text.split("<body", 1)[1]
    for ref in refs:
        assert page.count(f"doi:{ref.doi}") == 1  # once, as a link; not in the citation


@pytest.mark.django_db
def test_a_pasted_list_counts_for_the_citation_check(admin_client):
    data = post_with_pasted_list(body="<p>See [1] and [4].</p>")
    response = admin_client.post(reverse("admin:articles_article_add"), data)
    assert response.status_code == 200
    assert "The body cites [4] but there is no reference with that number." in response.text
    assert "[1]" not in response.text.split("The body cites")[1].split("but")[0]
    assert MANUSCRIPT_LIST.splitlines()[0] in response.text  # the pasted list is kept
    assert not Article.objects.filter(slug="a-new-article").exists()


@pytest.mark.django_db
def test_pasted_numbers_that_clash_with_a_reference_row_are_an_error(admin_client):
    data = post_with_pasted_list(
        **inline("references", [{"position": "2", "citation": "Typed by hand. J. 2020."}])
    )
    response = admin_client.post(reverse("admin:articles_article_add"), data)
    assert response.status_code == 200
    assert "both have number 2" in response.text
    assert Reference.objects.count() == 0


@pytest.mark.django_db
def test_an_unnumbered_pasted_list_goes_after_the_typed_references(admin_client):
    data = article_post(
        body="<p>See [1].</p>",
        reference_list="Smith A. One. J. 2020.\nJones B. Two. J. 2021. doi:10.1000/xyz123.",
        **inline("references", [{"position": "1", "citation": "Typed. J. 2019."}]),
    )
    response = admin_client.post(reverse("admin:articles_article_add"), data)
    assert response.status_code == 302
    refs = Article.objects.get(slug="a-new-article").references.order_by("position")
    assert [(r.position, r.citation, r.doi) for r in refs] == [
        (1, "Typed. J. 2019.", ""),
        (2, "Smith A. One. J. 2020.", ""),
        (3, "Jones B. Two. J. 2021.", "10.1000/xyz123"),
    ]


@pytest.mark.django_db
def test_a_bad_pasted_entry_is_named_and_nothing_is_saved(admin_client):
    data = article_post(reference_list="1. Fine. J. 2020.\n1. Twice. J. 2021.")
    response = admin_client.post(reverse("admin:articles_article_add"), data)
    assert response.status_code == 200
    assert "The list numbers two entries 1." in response.text
    assert not Article.objects.filter(slug="a-new-article").exists()


@pytest.mark.django_db
def test_the_demo_follows_the_same_rule(client):
    from django.core.management import call_command

    call_command("load_demo", stdout=None)
    article = Article.objects.get(
        slug="demo-pharmacist-management-of-bispecific-antibody-toxicities"
    )
    first = article.references.get(position=1)
    assert first.doi == "10.5555/demo.2021.0001"
    assert "doi" not in first.citation
    page = client.get(article.get_absolute_url()).text.split("<body", 1)[1]
    assert page.count("doi:10.5555/demo.2021.0001") == 1
    assert page.count("doi:10.5555/demo.2022.0020") == 1


@pytest.mark.django_db
def test_pasted_references_are_in_the_article_history(admin_client):
    from reversion.models import Version

    response = admin_client.post(reverse("admin:articles_article_add"), post_with_pasted_list())
    assert response.status_code == 302
    article = Article.objects.get(slug="a-new-article")
    [version] = Version.objects.get_for_object(article)
    stored = version.revision.version_set.filter(content_type__model="reference")
    assert stored.count() == 3
    article.references.all().delete()
    version.revision.revert(delete=True)
    assert article.references.count() == 3
