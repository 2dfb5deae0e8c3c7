"""``python manage.py seed_demo``: load the invented demo data (idempotent); run by make run."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from dashboards.demo import DEMO_PASSWORD, demo_seed


class Command(BaseCommand):
    help = (
        "Create the invented demo organizations, people, studies, subjects and visits. "
        "Idempotent: a second run adds nothing. Runs only with DEBUG=True unless --force."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Load the demo data even though DEBUG is off (never on a production database).",
        )

    def handle(self, *args, force: bool = False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo loads invented demo data with a published password and runs only "
                "with DEBUG=True (DJANGO_DEBUG=true). Pass --force to load it anyway; never do "
                "that on a production database."
            )
        summary = demo_seed()
        totals = ", ".join(f"{count} {label}" for label, count in summary.totals.items())
        self.stdout.write(
            self.style.SUCCESS("Demo data ready (all of it invented): ") + totals + "."
        )
        if summary.created_total:
            created = ", ".join(f"{n} {label}" for label, n in sorted(summary.created.items()))
            self.stdout.write(f"Created this run: {created}.")
        else:
            self.stdout.write("Nothing to add: the demo data was already there.")

        rows = [(login.email, login.roles, login.organization) for login in summary.logins]
        headers = ("email", "role", "organization")
        widths = [max(len(row[i]) for row in [headers, *rows]) for i in range(3)]
        self.stdout.write("")
        self.stdout.write("Demo logins:")
        for row in [headers, tuple("-" * w for w in widths), *rows]:
            cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
            self.stdout.write(("  " + "  ".join(cells)).rstrip())
        self.stdout.write(f"Password for every demo login: {DEMO_PASSWORD}")
