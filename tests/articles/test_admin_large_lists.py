"""The article changelist's search and filters at archive size: what they find, that
nothing is listed twice, and that their queries do not grow with the rows matched."""

from datetime import datetime, timedelta

import lxml.html
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from articles.admin.shared import LargeTablePaginator
from tests.factories import make_article, make_author, make_topic

pytestmark = pytest.mark.django_db

URL = reverse("admin:articles_article_changelist")


def listed(admin_client, **params) -> list[str]:
    response = admin_client.get(URL, params)
    assert response.status_code == 200
    return [str(article) for article in response.context["cl"].result_list]


def test_search_finds_title_words_exact_slugs_and_authors_names(admin_client):
    ignoffo = make_author(given_name="Robert", family_name="Ignoffo")
    colleague = make_author(given_name="Meg", family_name="Ignoffo-Barbor")
    both = make_article(title="Tumor lysis syndrome", authors=[ignoffo, colleague])
    make_article(title="Checkpoint inhibitor colitis", slug="ici-colitis")
    make_article(title="Unrelated", authors=[make_author(family_name="Smith")])

    assert listed(admin_client, q="LYSIS") == [both.title]
    assert listed(admin_client, q="ici-colitis") == ["Checkpoint inhibitor colitis"]
    assert listed(admin_client, q="ici") == []  # a slug matches whole, not in part
    # Two matching authors: the article is listed once.
    assert listed(admin_client, q="ignoffo") == [both.title]
    assert listed(admin_client, q="meg") == [both.title]
    # Every word must match, in any of the fields.
    assert listed(admin_client, q="robert syndrome") == [both.title]
    assert listed(admin_client, q="robert colitis") == []
    assert listed(admin_client, q='"tumor lysis"') == [both.title]


def test_search_by_a_common_author_name_is_looked_up_in_one_query(admin_client, monkeypatch):
    from articles.admin.article import ArticleAdmin

    monkeypatch.setattr(ArticleAdmin, "AUTHOR_MATCH_LIMIT", 2)
    common = make_author(family_name="Common")
    titles = {make_article(authors=[common]).title for _ in range(4)}
    assert set(listed(admin_client, q="common")) == titles


def test_topic_and_year_filters(admin_client):
    topic = make_topic("Breast Cancer")
    local = timezone.get_current_timezone()
    in_2021 = make_article(topics=[topic], published_at=datetime(2021, 12, 31, 23, tzinfo=local))
    make_article(topics=[topic, make_topic("Adverse Events")])
    make_article(published_at=datetime(2021, 6, 1, tzinfo=local))
    assert len(listed(admin_client, topic=topic.pk)) == 2
    assert listed(admin_client, topic=topic.pk, year=2021) == [in_2021.title]
    assert listed(admin_client, topic="x") == []
    assert listed(admin_client, year="x") == []
    years = lxml.html.fromstring(admin_client.get(URL).text).xpath(
        "//details[@data-filter-title='year published']//a/text()"
    )
    assert [y.strip() for y in years] == [
        "All",
        *map(str, range(timezone.localtime().year, 2020, -1)),
    ]


def test_a_long_result_is_counted_only_up_to_a_limit_and_says_so(admin_client, monkeypatch):
    monkeypatch.setattr(LargeTablePaginator, "COUNT_LIMIT", 2)
    for n in range(3):
        make_article(title=f"Lymphoma {n}")
    response = admin_client.get(URL, {"q": "lymphoma"})
    assert response.context["cl"].result_count == 2
    assert "More than 2 results" in response.text
    assert "The first 2 of more articles" in response.text
    response = admin_client.get(URL, {"q": "lymphoma 1"})
    assert "1 result" in response.text and "more articles" not in response.text


@pytest.mark.parametrize(
    "params",
    [{"q": "lymphoma"}, {"q": "ignoffo"}, {"topic": "TOPIC"}, {"year": "YEAR"}],
    ids=["title", "author", "topic", "year"],
)
def test_searched_and_filtered_lists_run_a_fixed_number_of_queries(admin_client, params):
    topic = make_topic("Lymphoma")
    author = make_author(family_name="Ignoffo")
    year = str(timezone.localtime(timezone.now() - timedelta(days=1)).year)
    params = {k: {"TOPIC": str(topic.pk), "YEAR": year}.get(v, v) for k, v in params.items()}

    def count(n: int) -> int:
        for _ in range(n):
            make_article(title="Lymphoma care", authors=[author, make_author()], topics=[topic])
        admin_client.get(URL, params)
        with CaptureQueriesContext(connection) as queries:
            response = admin_client.get(URL, params)
        assert response.context["cl"].result_count > 0
        return len(queries)

    assert count(1) == count(12)
