"""Full-text search over published articles: exact (every published article that matches,
counted), ranked over all matches, best first, or newest first.

query: the reader's query (websearch_to_tsquery's syntax, and author names with initials);
postgres: the search on PostgreSQL (the trigger-kept articles_search table); fallback: the
search elsewhere (SQLite in development); snippets: the marked extracts; forms: the search
form; page: the page of results, its facets and "did you mean", as the view asks for them.
"""

from articles.reader.search.forms import SearchForm
from articles.reader.search.page import Results, published_years, search_articles, search_page
from articles.reader.search.query import parse, terms_of
from articles.reader.search.snippets import snippet

__all__ = [
    "Results",
    "SearchForm",
    "parse",
    "published_years",
    "search_articles",
    "search_page",
    "snippet",
    "terms_of",
]
