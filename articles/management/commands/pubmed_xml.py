"""Print an issue's PubMed/MEDLINE XML (NLM's PubMed DTD 3.0), for NLM's data providers' upload.

Refuses, with a non-zero exit, what the Crossref deposit refuses (an issue that is not
published or has no published article) and a file that would not be valid against the DTD.
"""

from articles.management.indexing import IndexingExportCommand
from articles.scholarly import indexing


class Command(IndexingExportCommand):
    help = "Print the PubMed XML (ArticleSet, PubMed DTD 3.0) of a published issue."
    export = indexing.PUBMED
