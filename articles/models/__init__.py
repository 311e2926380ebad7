from articles.models.article import Article, ArticleQuerySet, Authorship, Reference, RelatedItem
from articles.models.journal import Author, Issue, IssueQuerySet, Journal, Section, Topic

__all__ = [
    "Article",
    "ArticleQuerySet",
    "Author",
    "Authorship",
    "Issue",
    "IssueQuerySet",
    "Journal",
    "Reference",
    "RelatedItem",
    "Section",
    "Topic",
]
