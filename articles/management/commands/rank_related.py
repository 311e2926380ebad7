"""Rank every article's related items again, after a bulk import that bypassed the ORM."""

from django.core.management.base import BaseCommand

from articles.derived import related


class Command(BaseCommand):
    help = "Re-rank and store every article's related-items list (writes only lists that changed)."

    def handle(self, *args, **options):
        changed = related.refresh_all()
        self.stdout.write(self.style.SUCCESS(f"{changed} related-items lists updated."))
