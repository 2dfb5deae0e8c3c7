"""``python manage.py seed_scale``: build the synthetic bench data set (issue 8, bench/)."""

from django.core.management.base import BaseCommand, CommandError

from dashboards.scale import (
    AUDIT_MODES,
    BENCH_PASSWORD,
    BenchAlreadySeeded,
    NonBenchDatabase,
    ScalePlan,
    bench_email,
    seed_scale,
)


class Command(BaseCommand):
    help = (
        "Build the synthetic bench data set (two CROs, many sites, subjects, visits, data "
        "queries, monitoring, documents, payments, notifications) with COPY. Studies and sites "
        "per study are multiplied by sqrt(--scale), row counts by --scale, so rows per "
        "study-site stay the same at any scale. Every seeded row gets its audit (pghistory) "
        "insert event (see --audit-events); the load time includes them. Refuses a database "
        "holding any organization whose name does not end with '(bench)' unless --force, and "
        "a database that already holds the bench data."
    )

    def add_arguments(self, parser):
        parser.add_argument("--studies", type=int, default=50)
        parser.add_argument("--sites-per-study", type=int, default=100)
        parser.add_argument("--subjects", type=int, default=100_000)
        parser.add_argument("--visits", type=int, default=1_000_000)
        parser.add_argument("--queries", type=int, default=300_000)
        parser.add_argument(
            "--scale", type=float, default=1.0, help="0.01 for a quick 1%% run (default 1.0)"
        )
        parser.add_argument(
            "--audit-events",
            choices=AUDIT_MODES,
            default="bulk",
            help="How seeded rows get their audit (pghistory insert) events: 'bulk' skips the "
            "per-row triggers during the load and writes the same events set-based afterwards "
            "(default, faster); 'triggers' lets the per-row triggers write them.",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Seed even though the database holds non-bench organizations.",
        )

    def handle(self, *args, **options):
        if not 0 < options["scale"] <= 10:
            raise CommandError("--scale must be in (0, 10].")
        plan = ScalePlan.of(
            studies=options["studies"],
            sites_per_study=options["sites_per_study"],
            subjects=options["subjects"],
            visits=options["visits"],
            queries=options["queries"],
            scale=options["scale"],
        )
        try:
            summary = seed_scale(plan, force=options["force"], audit=options["audit_events"])
        except NonBenchDatabase as exc:
            raise CommandError(
                f"This database holds non-bench organizations ({exc}, ...). seed_scale adds "
                "synthetic bench data; run it on a database of its own, or pass --force."
            ) from exc
        except BenchAlreadySeeded as exc:
            raise CommandError(
                "The bench data set is already in this database; use a fresh database to "
                "build it again."
            ) from exc
        counts = ", ".join(f"{n} {label}" for label, n in summary.counts.items())
        self.stdout.write(
            self.style.SUCCESS(f"Bench data built in {summary.seconds:.1f} s: ") + counts + "."
        )
        self.stdout.write(
            f"Logins: {bench_email('coordinator', 1)}, {bench_email('cra', 1)}, "
            f"{bench_email('finance', 1)}, {bench_email('pm', 1)}; password {BENCH_PASSWORD}"
        )
