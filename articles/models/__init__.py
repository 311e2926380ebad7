from articles.models.article import Article, ArticleQuerySet, Authorship, Reference, RelatedItem
from articles.models.article_topic import ArticleTopic
from articles.models.autosave import Autosave
from articles.models.crossref import CrossrefDeposit
from articles.models.journal import Author, Issue, IssueQuerySet, Journal, Section, Topic
from articles.models.preview import PreviewLink, PreviewLinkQuerySet
from articles.models.related_ranking import RankedRelated
from articles.models.review import Review, ReviewComment, ReviewState
from articles.models.search_entry import SearchEntry
from articles.models.slug_history import ArticleSlugHistory
from articles.models.verified_copy import VerifiedCopy

__all__ = [
    "Article",
    "ArticleQuerySet",
    "ArticleSlugHistory",
    "ArticleTopic",
    "Author",
    "Authorship",
    "Autosave",
    "CrossrefDeposit",
    "Issue",
    "IssueQuerySet",
    "Journal",
    "PreviewLink",
    "PreviewLinkQuerySet",
    "RankedRelated",
    "Reference",
    "RelatedItem",
    "Review",
    "ReviewComment",
    "ReviewState",
    "SearchEntry",
    "Section",
    "Topic",
    "VerifiedCopy",
]
