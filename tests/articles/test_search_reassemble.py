"""A change of an article's authors or topics writes its search document again from the
stored text's part and the names parsed now (migration 0036): the same document as
parsing everything again, whatever the text holds (empty or stop-word-only parts, words
the names share, a body near the positions' cap), and what a rename or a link leaves in
the search table is that document."""

import pytest
from django.db import connection

from articles.models import ArticleTopic, Authorship
from tests.factories import make_article, make_author, make_topic

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the search table is PostgreSQL's"
    ),
]

FULL = """
SELECT s.article_id, s.document = articles_search_document(a.id, a.title, a.standfirst, a.body),
       coalesce(articles_search_reassemble(s.document, a.id), s.document)
         = articles_search_document(a.id, a.title, a.standfirst, a.body),
       articles_search_reassemble(s.document, a.id) IS NULL
FROM articles_search s JOIN articles_article a ON a.id = s.article_id ORDER BY 1
"""


def compared() -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(FULL)
        return cursor.fetchall()


@pytest.fixture
def articles():
    jane = make_author(given_name="Jane", family_name="Cancer")
    lee = make_author(given_name="Lee", family_name="The")  # a stop word as a name
    breast, empty = make_topic("Breast Cancer"), make_topic("The And")
    texts = [
        {"title": "Cancer in breast", "standfirst": "Breast cancer care.", "body": "<p>x</p>"},
        {"title": "Cancer", "standfirst": "", "body": "<p>Breast cancer, breast cancer.</p>"},
        {"title": "Cancer", "standfirst": "Some standfirst.", "body": ""},
        {"title": "Cancer", "standfirst": "", "body": ""},
        {"title": "The", "standfirst": "of and", "body": "<p>the of</p>"},
        {"title": "Title", "standfirst": "the", "body": "<p>" + "cancer " * 300 + "</p>"},
        # 16,500 distinct words: positions past tsvector's cap of 16,383.
        {
            "title": "Long",
            "standfirst": "",
            "body": "<p>" + " ".join(f"w{n}" for n in range(16500)),
        },
    ]
    made = []
    for i, text in enumerate(texts):
        authors = [[], [jane], [lee, jane], [jane, lee]][i % 4]
        topics = [[breast], [], [empty, breast], [breast, empty]][i % 4]
        made.append(make_article(**text, authors=authors, topics=topics))
    return {"articles": made, "jane": jane, "lee": lee, "breast": breast, "empty": empty}


def test_the_stored_part_and_the_names_make_the_documents_parsing_makes(articles):
    rows = compared()
    assert len(rows) == len(articles["articles"])
    for pk, stored_fresh, same, _ in rows:
        assert stored_fresh, pk
        assert same, pk
    # The body of 16,500 distinct words reaches the cap: that one is parsed again instead.
    assert [capped for *_, capped in rows] == [False] * 6 + [True]


def test_renames_and_links_leave_the_documents_parsing_makes(articles):
    articles["breast"].name = "Cancer of the Breast"
    articles["breast"].save()
    articles["jane"].family_name = "Breast"
    articles["jane"].save()
    first, *_, long = articles["articles"]
    Authorship.objects.create(article=first, author=articles["lee"], position=9)
    ArticleTopic.objects.create(article=long, topic=make_topic("Lymphoma"), position=9)
    Authorship.objects.filter(article=articles["articles"][2]).delete()
    for pk, stored_fresh, same, _ in compared():
        assert stored_fresh and same, pk
