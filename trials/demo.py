"""Demo rows for the enrollment log, agreements and study updates (invented data; called from
dashboards/demo.py).

dashboards/demo.py creates the demo subjects and their visits. This adds what the trials pages
show beyond them: one visit done out of window with its protocol-deviation note at each
enrolling demo study-site; the signed agreement date of each active demo study-site; and two
study updates per demo study (an amendment notice asking for confirmation, and a newsletter
one site has read). Idempotent: rows are looked up by their natural keys first."""

from datetime import date, timedelta

from accounts.models import Membership
from trials import access, services
from trials.models import (
    Milestone,
    MilestoneKind,
    StudySite,
    StudySiteStatus,
    StudyTeamMember,
    StudyUpdate,
    StudyUpdateKind,
    SubjectStatus,
    SubjectVisit,
    SubjectVisitStatus,
    TeamRole,
)

UPDATES = (
    (
        StudyUpdateKind.AMENDMENT,
        "Protocol amendment 2 approved (demo)",
        "Amendment 2 adds a week-8 safety lab draw and updates the consent form to v3.0. "
        "Re-consent enrolled subjects at their next visit. Please confirm your site has read "
        "this notice.",
        True,
    ),
    (
        StudyUpdateKind.NEWSLETTER,
        "Study newsletter — spring edition (demo)",
        "Enrollment passed 40% of target across sites. Thank you! Reminder: query answers are "
        "due within 5 working days.",
        False,
    ),
)

DEVIATION_NOTE = "Subject rescheduled for transport reasons; visit done after the window (demo)"


def _seed_deviations(*, today: date) -> dict[str, int]:
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


def _seed_agreements(today: date) -> int:
    recorded = 0
    for study_site in StudySite.objects.filter(
        study__cro__name__endswith=" (demo)",
        status__in=[StudySiteStatus.ACTIVATED, StudySiteStatus.ENROLLING],
        agreement_signed_on__isnull=True,
    ):
        siv = (
            Milestone.objects.filter(
                study_site=study_site, kind=MilestoneKind.SIV, actual_date__isnull=False
            )
            .values_list("actual_date", flat=True)
            .first()
        )
        # signed a few weeks before the site initiation visit (or 90 days ago without one)
        study_site.agreement_signed_on = (
            (siv - timedelta(days=28)) if siv else today - timedelta(days=90)
        )
        study_site.save(update_fields=["agreement_signed_on"])
        recorded += 1
    return recorded


def _seed_updates() -> int:
    posted = 0
    leads = StudyTeamMember.objects.filter(
        study__cro__name__endswith=" (demo)", role=TeamRole.LEAD
    ).select_related("study", "user")
    for lead in leads:
        open_sites = StudySite.objects.filter(study=lead.study).exclude(
            status=StudySiteStatus.CLOSED
        )
        if not open_sites.exists():
            continue
        for kind, title, body, confirm in UPDATES:
            if StudyUpdate.objects.filter(study=lead.study, title=title).exists():
                continue
            update = services.study_update_post(
                actor=lead.user,
                study=lead.study,
                kind=kind,
                title=title,
                body=body,
                confirmation_required=confirm,
            )
            posted += 1
            if confirm:
                continue
            copy = update.recipients.order_by("study_site__site_number").first()
            reader = (
                Membership.objects.filter(
                    organization_id=copy.study_site.site_id,
                    role__in=access.SITE_ROLES,
                    is_active=True,
                )
                .select_related("user")
                .order_by("user__email")
                .first()
            )
            if reader is not None:
                services.study_update_mark_read(actor=reader.user, recipient=copy)
    return posted


def _seed_withdrawals(today: date) -> int:
    """Withdrawn demo subjects have no visits ahead of them (as subject_transition leaves them:
    visits whose window has not closed are not applicable)."""
    cancelled = 0
    visits = SubjectVisit.objects.filter(
        subject__study_site__study__cro__name__endswith=" (demo)",
        subject__status=SubjectStatus.WITHDRAWN,
        status=SubjectVisitStatus.SCHEDULED,
        window_end__gte=today,
    )
    for visit in visits:
        visit.status = SubjectVisitStatus.CANCELLED
        visit.save(update_fields=["status"])
        cancelled += 1
    return cancelled


def seed(*, today: date) -> dict[str, int]:
    return {
        **_seed_deviations(today=today),
        "visits not applicable after withdrawal": _seed_withdrawals(today),
        "agreements recorded": _seed_agreements(today),
        "study updates": _seed_updates(),
    }
