from articles.models.article import Article, ArticleQuerySet, Authorship, Reference, RelatedItem
from articles.models.journal import Author, Issue, IssueQuerySet, Journal, Section, Topic
from articles.models.slug_history import ArticleSlugHistory

__all__ = [
    "Article",
    "ArticleQuerySet",
    "ArticleSlugHistory",
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
