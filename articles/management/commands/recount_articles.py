"""Count every topic's, section's and author's live articles again, from scratch.

Writes keep the stored counts by difference (articles.derived.counts); a bulk import or an edit
made in SQL bypasses that, and this puts them right.
"""

from django.core.management.base import BaseCommand
from django.db import transaction

from articles.derived.counts import recount
from articles.models import Author, Section, Topic


def _stored() -> dict:
    return {
        (model.__name__, pk): stored
        for model in (Topic, Section, Author)
        for pk, *stored in model.objects.values_list("pk", "published_count", "articles_changed_at")
    }


class Command(BaseCommand):
    help = (
        "Recount the stored live-article counts (and listing dates) of every topic, "
        "section and author."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="report what would change, write nothing"
        )

    def handle(self, *args, dry_run=False, **options):
        with transaction.atomic():
            before = _stored()
            recount()
            after = _stored()
            changed = sum(before.get(key) != values for key, values in after.items())
            if dry_run:
                transaction.set_rollback(True)
        verb = "would change" if dry_run else "changed"
        self.stdout.write(self.style.SUCCESS(f"{changed} stored counts {verb}."))
