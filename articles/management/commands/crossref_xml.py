"""Print the Crossref deposit XML of an issue or an article (what "Register DOIs" sends).

Scripts and editors use it to inspect or hand-deposit a batch; it validates the document
against the Crossref 5.3.1 schema and says so on stderr, without writing anything.
"""

from django.core.management.base import BaseCommand, CommandError

from articles.models import Article, Issue
from articles.scholarly import crossref, schemas


class Command(BaseCommand):
    help = "Print the Crossref 5.3.1 deposit XML of an issue (--issue) or an article (--article)."

    def add_arguments(self, parser):
        group = parser.add_mutually_exclusive_group(required=True)
        group.add_argument("--issue", type=int, metavar="PK", help="the issue's id")
        group.add_argument("--article", type=int, metavar="PK", help="the article's id")

    def handle(self, *args, issue=None, article=None, **options):
        if issue is not None:
            found = Issue.objects.select_related("journal").filter(pk=issue).first()
            if found is None:
                raise CommandError(f"There is no issue with id {issue}.")
            if not found.journal.doi_prefix:
                raise CommandError(f"The journal “{found.journal}” has no DOI prefix.")
            if not crossref.issue_articles(found).exists():
                raise CommandError(f"“{found}” has no published article with a DOI to deposit.")
            document = crossref.issue_deposit(found)
        else:
            found = crossref.with_deposit_data(Article.objects.filter(pk=article)).first()
            if found is None:
                raise CommandError(f"There is no article with id {article}.")
            if not found.doi:
                raise CommandError(f"“{found}” has no DOI yet: it gets one when published.")
            if (
                found.status != Article.Status.PUBLISHED
                or Article.objects.withdrawn().filter(pk=found.pk).exists()
            ):
                raise CommandError(
                    f"“{found}” was withdrawn (it is not published): its DOI stays registered, "
                    "and a new deposit would point readers to a page that is no longer public."
                )
            try:
                document = crossref.article_deposit(found)
            except ValueError as error:
                raise CommandError(str(error)) from error
        self.stdout.write(crossref.to_bytes(document).decode(), ending="")
        errors = schemas.validate("crossref", document)
        if errors:
            for error in errors:
                self.stderr.write(str(error))
            raise CommandError("The document does not validate against the Crossref schema.")
        self.stderr.write(self.style.SUCCESS("Valid against the Crossref 5.3.1 schema."))
