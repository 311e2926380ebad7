"""Print an issue's DOAJ article XML (doajArticles.xsd), for DOAJ's article upload.

Refuses, with a non-zero exit, what the Crossref deposit refuses (an issue that is not
published or has no published article) and a file that would not be valid against the XSD.
"""

from articles.management.indexing import IndexingExportCommand
from articles.scholarly import indexing


class Command(IndexingExportCommand):
    help = "Print the DOAJ article XML (doajArticles.xsd) of a published issue."
    export = indexing.DOAJ
