"""Hold back scheduled articles whose Crossref or JATS record no longer validates.

Scheduled articles go live by the clock, without a job; an article edited after it was
scheduled is re-checked here (the task worker runs it every 5 minutes: jhop/periodic.py).
One that fails goes back to draft and is listed in the admin under "Export: has problems",
with the reason.
"""

from django.core.management.base import BaseCommand

from articles import services


class Command(BaseCommand):
    help = "Re-check scheduled articles; those whose records do not validate go back to draft."

    def handle(self, *args, **options):
        held = services.hold_invalid_scheduled()
        for line in held:
            self.stdout.write(self.style.WARNING(f"Held back: {line}"))
        if not held:
            self.stdout.write("Every scheduled article validates.")
