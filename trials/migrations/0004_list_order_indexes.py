"""Indexes in the default order of the subject list (subject id), the subject-visit list
(target date) and the visits-due list (scheduled visits, window closing soonest): each list
reads its first page from an index instead of sorting every visible row (issue 8, the speed
budget).

Built CONCURRENTLY so that the large visit table stays writable while they build."""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("trials", "0003_study_updates_agreement_ip_visit_cancelled"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="subject",
            index=models.Index(
                fields=["subject_identifier", "id"], name="subject_identifier_order_idx"
            ),
        ),
        AddIndexConcurrently(
            model_name="subjectvisit",
            index=models.Index(fields=["target_date", "id"], name="subject_visit_target_idx"),
        ),
        AddIndexConcurrently(
            model_name="subjectvisit",
            index=models.Index(
                condition=models.Q(("status", "scheduled")),
                fields=["window_end", "window_start", "id"],
                name="subject_visit_due_idx",
            ),
        ),
    ]
