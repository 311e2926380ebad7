"""What pubmed_xml and doaj_xml share: one issue in, its valid file on stdout."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from articles.models import Issue
from articles.scholarly import indexing


class IndexingExportCommand(BaseCommand):
    export: indexing.Export

    def add_arguments(self, parser):
        parser.add_argument("--issue", type=int, metavar="PK", required=True, help="the issue's id")

    def handle(self, *args, issue: int, **options):
        found = Issue.objects.select_related("journal").filter(pk=issue).first()
        if found is None:
            raise CommandError(f"There is no issue with id {issue}.")
        try:
            content = self.export.render(found)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        self.stdout.write(content.decode(), ending="")
        self.stderr.write(self.style.SUCCESS(f"Valid {self.export.name} XML."))
