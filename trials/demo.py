"""Demo rows for the enrollment log (invented data; called from dashboards/demo.py).

dashboards/demo.py creates the demo subjects and their visits. This adds what the enrollment
pages show beyond them: one visit done out of window with its protocol-deviation note at each
enrolling demo study-site. Idempotent: a site that already has a flagged visit is left alone."""

from datetime import date, timedelta

from trials.models import StudySite, StudySiteStatus, SubjectVisit, SubjectVisitStatus

DEVIATION_NOTE = "Subject rescheduled for transport reasons; visit done after the window (demo)"


def seed(*, today: date) -> dict[str, int]:
    flagged = 0
    study_sites = StudySite.objects.filter(
        status=StudySiteStatus.ENROLLING, study__cro__name__endswith=" (demo)"
    )
    for study_site in study_sites:
        visits = SubjectVisit.objects.filter(subject__study_site=study_site)
        if visits.filter(out_of_window=True).exists():
            continue
        visit = (
            visits.filter(
                status=SubjectVisitStatus.COMPLETED,
                definition__code="W4",
                window_end__lt=today - timedelta(days=3),
            )
            .order_by("target_date", "pk")
            .first()
        )
        if visit is None:
            continue
        visit.actual_date = visit.window_end + timedelta(days=2)
        visit.out_of_window = True
        visit.deviation_note = DEVIATION_NOTE
        visit.save(update_fields=["actual_date", "out_of_window", "deviation_note"])
        flagged += 1
    return {"out-of-window visits": flagged}
