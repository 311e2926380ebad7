"""Give an archive built by bench/archive.py search documents that behave like real text,
for measuring the search until the builder writes realistic bodies itself.

Every article's stored document (articles_search.document) is rebuilt, in the stored
layout (articles_search_document: title A, standfirst B, body C, each author's and
topic's name D, each part followed by its gap), from a title, a standfirst and a body
drawn here: words from a Zipf distribution (exponent 1) over VOCABULARY pseudo-words,
with the clinical words the benchmarks query placed at ranks that give them a realistic
share of the articles (`cancer` in about 60 %, `zanubrutinib` in about 1 %), and a few
common phrases drawn as one word ("breast cancer"). Research articles' bodies have
1,500-6,000 words, news 300-900 (one article in five): documents of 10-20 kB, stored out
of line (TOAST). The excerpt (for headlines) is the new text's start. The articles
themselves are not changed: an edit of one rebuilds its document from its real text.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/jhop_x_20k \\
        .venv/bin/python bench/realistic_documents.py
"""

import argparse
import os
import time

import numpy as np
import psycopg

VOCABULARY = 40_000
# Clinical words and phrases at a Zipf rank (share of 3,000-word bodies holding it).
PLACED = {
    "cancer": 250,
    "patients": 40,
    "therapy": 120,
    "breast": 500,
    "breast cancer": 900,
    "tumor": 600,
    "stem": 700,
    "syndrome": 800,
    "lymphoma": 950,
    "neutropenia": 1_100,
    "dosing": 1_300,
    "rituximab": 1_600,
    "evidence": 1_500,
    "summary": 1_800,
    "myeloma": 1_900,
    "toxicity": 400,
    "survival": 300,
    "trial": 200,
    "pharmacist": 2_200,
    "renal": 2_500,
    "tumor lysis syndrome": 3_000,
    "lysis": 6_000,
    "zoledronate": 9_000,
    "zanubrutinib": 20_000,
}
SYLLABLES = [
    c + v
    for c in ("b", "c", "d", "f", "g", "l", "m", "n", "p", "r", "s", "t", "v", "z", "br", "tr")
    for v in ("a", "e", "i", "o", "u", "ai", "io")
]


def vocabulary(rng: np.random.Generator) -> list[str]:
    """VOCABULARY distinct pseudo-words (two to four syllables and a final consonant),
    with the placed words at their ranks."""
    words, seen = [], set(PLACED)
    while len(words) < VOCABULARY:
        n = rng.integers(2, 5)
        word = "".join(SYLLABLES[i] for i in rng.integers(0, len(SYLLABLES), n))
        word += "nrstxl"[rng.integers(0, 6)]
        if word not in seen:
            seen.add(word)
            words.append(word)
    for word, rank in sorted(PLACED.items(), key=lambda kv: kv[1]):
        words.insert(rank - 1, word)
    return words[:VOCABULARY]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument("--batch", type=int, default=500)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    words = np.array(vocabulary(rng), dtype=object)
    p = 1.0 / np.arange(1, VOCABULARY + 1)
    p /= p.sum()
    url = os.environ["DATABASE_URL"]
    t0 = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        ids = [r[0] for r in conn.execute("SELECT article_id FROM articles_search ORDER BY 1")]
        indexes = conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'articles_search'"
            " AND indexdef ~ 'USING (gin|rum) \\(document'"
        ).fetchall()
        for name, _ in indexes:
            conn.execute(f"DROP INDEX {name}")
        # The vocabulary is counted once at the end, not per batch by its trigger.
        conn.execute("ALTER TABLE articles_search DISABLE TRIGGER articles_search_words_updated")

        def text(n: int) -> str:
            return " ".join(words[rng.choice(VOCABULARY, size=n, p=p)])

        for start in range(0, len(ids), args.batch):
            chunk = ids[start : start + args.batch]
            titles, standfirsts, bodies = [], [], []
            for _ in chunk:
                titles.append(text(int(rng.integers(6, 16))))
                standfirsts.append(text(int(rng.integers(30, 90))))
                news = rng.random() < 0.2
                bodies.append(
                    text(int(rng.integers(300, 900) if news else rng.integers(1500, 6000)))
                )
            conn.execute(
                """
                UPDATE articles_search s
                SET document = articles_search_document(s.article_id, n.title, n.standfirst,
                                                        n.body),
                    excerpt = articles_search_excerpt(n.standfirst, n.body)
                FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[])
                  AS n(id, title, standfirst, body)
                WHERE s.article_id = n.id
                """,
                (chunk, titles, standfirsts, bodies),
            )
            print(f"  {start + len(chunk)} documents: {time.perf_counter() - t0:.0f}s", flush=True)
        conn.execute("ALTER TABLE articles_search ENABLE TRIGGER articles_search_words_updated")
        with conn.transaction():
            conn.execute("DELETE FROM articles_search_word")
            conn.execute(
                "INSERT INTO articles_search_word (word, ndoc) SELECT l, count(*)"
                " FROM articles_search s CROSS JOIN unnest(tsvector_to_array(s.document)) l"
                " GROUP BY l"
            )
        conn.execute("VACUUM FULL articles_search")
        for _, definition in indexes:
            conn.execute(definition)
        conn.execute("VACUUM ANALYZE articles_search")
        conn.execute("VACUUM ANALYZE articles_search_word")
        size = conn.execute(
            "SELECT pg_size_pretty(pg_relation_size('articles_search')),"
            " pg_size_pretty(pg_total_relation_size('articles_search')),"
            " avg(pg_column_size(document))::int, avg(length(document))::int"
            " FROM articles_search"
        ).fetchone()
    print(
        f"done in {time.perf_counter() - t0:.0f}s: table {size[0]} ({size[1]} with TOAST and"
        f" indexes), document {size[2]} bytes stored, {size[3]} lexemes on average"
    )


if __name__ == "__main__":
    main()
