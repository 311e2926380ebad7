"""The verifier's notes (articles.derived.verify, VerifiedCopy): a check recomputes the body's
HTML and the search row only where the row, its sources or the code changed since a check
found them equal, and still finds every drift a write around Django leaves; --full
recomputes every row."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from articles.derived import verify, writes
from articles.models import Article, Author, VerifiedCopy
from tests.factories import make_article, make_author

pytestmark = pytest.mark.django_db

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the search table is PostgreSQL's"
)


@pytest.fixture
def articles():
    author = make_author(given_name="Ada", family_name="Osei")
    return [
        make_article(title=f"Dose {n}", body=f"<p>Dose {n} [1].</p>", authors=[author])
        for n in range(3)
    ]


def recomputed(**kwargs) -> tuple[list, dict]:
    tally = verify.Tally()
    found = list(verify.check(tally=tally, **kwargs))
    return found, dict(tally.recomputed)


def raw(sql: str, params) -> None:
    with writes.suspended(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_a_second_check_recomputes_only_the_rows_that_changed(articles):
    found, counts = recomputed()
    assert found == []
    assert counts["body_html"] == 3
    assert VerifiedCopy.objects.filter(copy="body_html").count() == 3
    assert recomputed() == ([], {"body_html": 0} | ({"search": 0} if "search" in counts else {}))

    first = articles[0]
    first.body = "<p>Another dose [2].</p>"
    first.save()
    found, counts = recomputed()
    assert found == []
    assert counts["body_html"] == 1
    assert counts.get("search", 1) == 1


def test_a_raw_write_to_the_copy_or_its_source_is_found_after_a_clean_check(articles):
    assert recomputed()[0] == []
    raw("UPDATE articles_article SET body_html = %s WHERE id = %s", ["<p>x</p>", articles[0].pk])
    raw("UPDATE articles_article SET body = %s WHERE id = %s", ["<p>Dose [2]</p>", articles[1].pk])
    found, counts = recomputed(only=["body_html"])
    assert {(d.copy, d.row) for d in found} == {
        ("Article.body_html", articles[0].pk),
        ("Article.body_html", articles[1].pk),
    }
    assert counts == {"body_html": 2}
    recomputed(only=["body_html"], repair=True)
    assert recomputed(only=["body_html"]) == ([], {"body_html": 1})  # the one repaired


def test_new_rendering_code_recomputes_every_body(articles, monkeypatch):
    assert recomputed()[0] == []
    monkeypatch.setattr(verify, "body_code", lambda: "a new renderer")
    assert recomputed(only=["body_html"]) == ([], {"body_html": 3})


def test_full_recomputes_every_row_and_finds_a_drift_a_forged_note_hides(articles):
    assert recomputed()[0] == []
    raw("UPDATE articles_article SET body_html = %s WHERE id = %s", ["<p>x</p>", articles[2].pk])
    # A note written around the verifier, claiming the spoilt value was found equal:
    VerifiedCopy.objects.filter(copy="body_html", row=articles[2].pk).update(
        value=verify._md5("<p>x</p>")
    )
    assert recomputed(only=["body_html"]) == ([], {"body_html": 0})
    found, counts = recomputed(only=["body_html"], full=True)
    assert [(d.copy, d.row) for d in found] == [("Article.body_html", articles[2].pk)]
    assert counts == {"body_html": 3}


def test_a_deleted_article_s_notes_go(articles):
    assert recomputed()[0] == []
    articles[0].delete()
    assert recomputed()[0] == []
    assert not VerifiedCopy.objects.filter(row=articles[0].pk).exists()
    assert VerifiedCopy.objects.filter(copy="body_html").count() == 2


def test_the_command_says_how_many_rows_it_recomputed(articles):
    out = StringIO()
    call_command("check_derived", stdout=out)
    assert "body_html: 3 of 3 articles recomputed, the others unchanged" in out.getvalue()
    out = StringIO()
    call_command("check_derived", "--full", stdout=out)
    assert "body_html: 3 of 3 articles recomputed\n" in out.getvalue()
    out = StringIO()
    call_command("check_derived", stdout=out)
    assert "body_html: 0 of 3 articles recomputed" in out.getvalue()
    assert "No drift" in out.getvalue()


@on_postgresql
def test_a_raw_write_to_a_search_row_is_found_after_a_clean_check(articles):
    assert recomputed()[0] == []
    raw(
        "UPDATE articles_search SET document = to_tsvector('english', 'stale') "
        "WHERE article_id = %s",
        [articles[0].pk],
    )
    raw("UPDATE articles_search SET excerpt = 'stale' WHERE article_id = %s", [articles[1].pk])
    found, counts = recomputed(only=["search"])
    assert {(d.row, d.stored) for d in found} == {
        (articles[0].pk, "stale"),
        (articles[1].pk, "stale"),
    }
    assert counts == {"search": 2}


@on_postgresql
def test_a_raw_rename_recomputes_the_search_rows_that_list_the_author(articles):
    make_article(title="Unsigned", body="<p>Alone.</p>")
    assert recomputed()[0] == []
    author = Author.objects.get()
    # Renamed in a psql session: the search table's triggers rewrite the rows that list
    # the name; their sources moved, so exactly those are recomputed (and found right).
    raw("UPDATE articles_author SET family_name = 'Mensah' WHERE id = %s", [author.pk])
    assert Article.objects.filter(search_entry__document="mensah").count() == 3
    found, counts = recomputed(only=["search"])
    assert (found, counts) == ([], {"search": 3})
    # The same rename with the rows spoilt too: each is found.
    raw("UPDATE articles_author SET family_name = 'Owusu' WHERE id = %s", [author.pk])
    raw(
        "UPDATE articles_search SET document = to_tsvector('english', 'mensah') "
        "WHERE article_id = ANY(%s)",
        [[a.pk for a in articles]],
    )
    found, counts = recomputed(only=["search"])
    assert sorted(d.row for d in found) == sorted(a.pk for a in articles)


def test_the_code_digest_reads_the_compiled_file_where_no_source_is_deployed(monkeypatch):
    import inspect
    from pathlib import Path

    from articles.models import article

    def no_source(code):
        raise OSError("could not get source code")

    monkeypatch.setattr(inspect, "getsource", no_source)
    assert verify._source(Article.render_body) == Path(article.__file__).read_bytes().hex()
