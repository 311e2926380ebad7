"""The byline and topic names stored on each article for list items (articles.derived.cards):
every change of an article's authors or topics shows at once on every page that lists it."""

import re

import pytest
from django.core import serializers

from articles.derived import cards
from articles.models import Article, ArticleTopic, Authorship
from tests.factories import make_article, make_author, make_issue, make_journal, make_topic

pytestmark = pytest.mark.django_db

ITEM_RE = re.compile(r'<article class="item">.*?</article>', re.S)


def item_on(client, url: str, title: str) -> str:
    """The list item of the article titled title on the page at url ("" if not listed)."""
    response = client.get(url)
    assert response.status_code == 200
    return next((item for item in ITEM_RE.findall(response.text) if f">{title}<" in item), "")


def lines(article, *, current=True) -> tuple[str, str]:
    """The stored byline and topic names; and (current) every stored copy is what the links
    give now, the article page's authors and topics too."""
    stored = Article.objects.filter(pk=article.pk).values_list(*cards.STORED).get()
    if current:
        assert stored == cards.stored_values([article.pk])[article.pk]
    return stored[:2]


@pytest.fixture
def setup(db):
    journal = make_journal()
    issue = make_issue(journal=journal)
    topic, other_topic = make_topic("Breast Cancer"), make_topic("Anemia")
    first = make_author(given_name="Meg", family_name="Barbor", credentials="MPH")
    second = make_author(given_name="Robert J.", family_name="Ignoffo", credentials="PharmD")
    article = make_article(title="Stored Lines", issue=issue, authors=[first, second])
    for position, linked in enumerate([topic, other_topic], start=1):
        ArticleTopic.objects.create(article=article, topic=linked, position=position)
    return {
        "issue": issue,
        "topic": topic,
        "other_topic": other_topic,
        "first": first,
        "second": second,
        "article": article,
    }


def test_list_items_show_the_byline_and_topics_in_order(client, setup):
    assert lines(setup["article"]) == (
        "Meg Barbor, MPH, Robert J. Ignoffo, PharmD",
        "Breast Cancer, Anemia",
    )
    item = item_on(client, setup["topic"].get_absolute_url(), "Stored Lines")
    assert '<p class="byline">Meg Barbor, MPH, Robert J. Ignoffo, PharmD</p>' in item
    assert "in Breast Cancer, Anemia</p>" in item
    toc = item_on(client, setup["issue"].get_absolute_url(), "Stored Lines")
    assert "Meg Barbor, MPH, Robert J. Ignoffo, PharmD" in toc


def test_names_are_escaped_when_shown(client, setup):
    setup["first"].family_name = "<b>Barbor</b>"
    setup["first"].save()
    item = item_on(client, setup["topic"].get_absolute_url(), "Stored Lines")
    assert "Meg &lt;b&gt;Barbor&lt;/b&gt;, MPH" in item


def test_reordering_and_removing_authors(client, setup):
    article, first = setup["article"], setup["first"]
    Authorship.objects.filter(article=article, author=first).update(position=9)
    # .update() sends no signal; the hub keeps the copies all the same.
    assert cards.refresh([article.pk]) == 0
    assert lines(article)[0] == "Robert J. Ignoffo, PharmD, Meg Barbor, MPH"
    authorship = Authorship.objects.get(article=article, author=first)
    authorship.position = 0
    authorship.save()
    assert lines(article)[0] == "Meg Barbor, MPH, Robert J. Ignoffo, PharmD"
    authorship.delete()
    assert lines(article)[0] == "Robert J. Ignoffo, PharmD"
    url = setup["topic"].get_absolute_url()
    assert "Meg Barbor" not in item_on(client, url, "Stored Lines")


def test_renaming_an_author_shows_on_every_page_listing_their_work(client, setup):
    neighbour = make_article(title="Neighbour", authors=[setup["second"]], topics=[setup["topic"]])
    setup["second"].credentials = "PharmD, BCOP"
    setup["second"].save()
    for article in (setup["article"], neighbour):
        assert "Robert J. Ignoffo, PharmD, BCOP" in lines(article)[0]
    assert "Ignoffo, PharmD, BCOP" in item_on(
        client, setup["topic"].get_absolute_url(), "Neighbour"
    )
    related = item_on(client, neighbour.get_absolute_url(), "Stored Lines")
    assert "Robert J. Ignoffo, PharmD, BCOP" in related


def test_authors_added_and_removed_through_either_side(setup):
    article, first = setup["article"], setup["first"]
    third = make_author(given_name="Ann", family_name="Lee", credentials="")
    article.authors.add(third, through_defaults={"position": 5})
    assert lines(article)[0].endswith("Ann Lee")
    third.articles.remove(article)
    assert "Ann Lee" not in lines(article)[0]
    first.articles.clear()
    assert lines(article)[0] == "Robert J. Ignoffo, PharmD"
    article.authors.clear()
    assert lines(article)[0] == ""


def test_topics_linked_unlinked_and_moved(client, setup):
    article, other = setup["article"], setup["other_topic"]
    ArticleTopic.objects.filter(article=article, topic=other).update(position=0)
    cards.refresh([article.pk])
    assert lines(article)[1] == "Anemia, Breast Cancer"
    article.topics.remove(other)
    assert lines(article)[1] == "Breast Cancer"
    third = make_topic("Lymphoma")
    third.articles.add(article)
    assert lines(article)[1] == "Lymphoma, Breast Cancer"  # added at position 0
    third.articles.clear()
    assert lines(article)[1] == "Breast Cancer"
    article.topics.set([other])
    assert lines(article)[1] == "Anemia"
    assert "in Anemia</p>" in item_on(client, other.get_absolute_url(), "Stored Lines")
    article.topics.clear()
    assert lines(article)[1] == ""


def test_renaming_and_deleting_a_topic(client, setup):
    article, topic = setup["article"], setup["topic"]
    others = [make_article(topics=[topic]) for _ in range(5)]
    topic.name = "Breast Cancers"
    topic.save()
    assert lines(article)[1] == "Breast Cancers, Anemia"
    assert all(lines(other)[1] == "Breast Cancers" for other in others)
    topic.delete()
    assert lines(article)[1] == "Anemia"
    assert all(lines(other)[1] == "" for other in others)
    assert "Breast Cancers" not in item_on(
        client, setup["other_topic"].get_absolute_url(), "Stored Lines"
    )


def test_an_older_copy_of_the_article_never_writes_its_lines_back(setup):
    stale = Article.objects.get(pk=setup["article"].pk)
    setup["first"].articles.remove(stale)
    stale.title = "Stored Lines, corrected"
    stale.save()
    assert lines(stale)[0] == "Robert J. Ignoffo, PharmD"
    assert Article.objects.get(pk=stale.pk).title == "Stored Lines, corrected"


def test_a_restored_or_loaded_article_takes_its_lines_from_its_links(setup):
    article = setup["article"]
    data = serializers.serialize("json", [Article.objects.get(pk=article.pk)])
    setup["first"].articles.remove(article)
    # Loading the old row (as a fixture or a restored version does) brings the old line...
    for restored in serializers.deserialize("json", data):
        restored.save()
    # ...but the links as they are now decide.
    assert lines(article)[0] == "Robert J. Ignoffo, PharmD"


def test_deleting_an_article_leaves_the_others_alone(setup):
    neighbour = make_article(authors=[setup["first"]], topics=[setup["topic"]])
    setup["article"].delete()
    assert lines(neighbour) == ("Meg Barbor, MPH", "Breast Cancer")


def test_refresh_rewrites_only_what_changed(setup):
    article = setup["article"]
    Article.objects.filter(pk=article.pk).update(byline="", topics_line="")
    make_article()
    assert cards.refresh() == 1
    assert lines(article) == ("Meg Barbor, MPH, Robert J. Ignoffo, PharmD", "Breast Cancer, Anemia")
    assert cards.refresh() == 0


def test_the_article_page_follows_every_change_of_what_it_shows_of_authors_and_topics(
    client, setup
):
    article, first, topic = setup["article"], setup["first"], setup["topic"]
    first.affiliation = "Moffitt Cancer Center"
    first.orcid = "0000-0002-1825-0097"
    first.slug = "meg-barbor-mph"
    first.save()
    topic.slug = "breast-cancer-care"
    topic.save()
    lines(article)
    html = client.get(article.get_absolute_url()).text
    assert '<a href="/authors/meg-barbor-mph/">Meg Barbor, MPH</a>' in html
    assert '<meta name="citation_author_institution" content="Moffitt Cancer Center">' in html
    assert "https://orcid.org/0000-0002-1825-0097" in html
    assert '<a href="/topics/breast-cancer-care/">Breast Cancer</a>' in html
    # A change of something the page does not show writes nothing.
    before = Article.objects.filter(pk=article.pk).values_list("authors_data").get()
    first.bio = "A new biography."
    first.save()
    assert Article.objects.filter(pk=article.pk).values_list("authors_data").get() == before
