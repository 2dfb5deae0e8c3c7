"""Monthly scorecard snapshots: each study-site's measures as they stood at the end of a month.

Append-only: one row per study-site per month, written once by the snapshot task (or the demo
backfill) with the same ``as_of`` functions the pages use, and never changed or deleted after
(the database refuses an UPDATE or DELETE). The trend charts read them.
"""

import pgtrigger
from django.db import models
from django.db.models import F, Q

from core.db import protect_delete
from trials.models import StudySite

# One column per measure (scorecards.measures.MEASURES), null when there was nothing to measure.
MEASURE_FIELDS = (
    "enrollment",
    "screen_failure",
    "query_answer_days",
    "queries_open_30",
    "deviations",
    "sae_on_time",
    "documents_current",
    "action_items_on_time",
    "visit_to_payment_days",
)


def _value(verbose_name: str) -> models.DecimalField:
    return models.DecimalField(verbose_name, max_digits=12, decimal_places=2, null=True, blank=True)


class ScorecardSnapshot(models.Model):
    study_site_path = "study_site"

    study_site = models.ForeignKey(
        StudySite, on_delete=models.PROTECT, related_name="scorecard_snapshots"
    )
    month = models.DateField(help_text="First day of the month measured")
    as_of = models.DateField(help_text="Last day of the month: the measures' as-of date")
    enrollment = _value("enrollment vs target (%)")
    screen_failure = _value("screen-failure rate (%)")
    query_answer_days = _value("median days to answer a query")
    queries_open_30 = _value("queries open more than 30 days")
    deviations = _value("protocol deviations per enrolled subject")
    sae_on_time = _value("SAEs reported within 24 h (%)")
    documents_current = _value("required documents current (%)")
    action_items_on_time = _value("action items closed on time (%)")
    visit_to_payment_days = _value("median days from visit to payment")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["study_site", "month"]
        triggers = [
            protect_delete("scorecard_snapshot"),
            pgtrigger.Protect(name="scorecard_snapshot_no_update", operation=pgtrigger.Update),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["study_site", "month"], name="scorecard_snapshot_once_per_month"
            ),
            models.CheckConstraint(
                condition=Q(month__day=1), name="scorecard_snapshot_month_starts_on_day_1"
            ),
            models.CheckConstraint(
                condition=Q(as_of__gte=F("month")), name="scorecard_snapshot_as_of_in_month"
            ),
        ]
        indexes = [models.Index(fields=["month", "study_site"])]

    def __str__(self) -> str:
        return f"{self.study_site} scorecard {self.month:%b %Y}"
