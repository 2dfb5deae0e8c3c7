"""Invented monitoring demo data: visits in every stage for the demo CRAs, leads and sites.

``seed(today=...)`` is idempotent: each visit is found by its study-site, type and agenda
(the natural key here), each action item by its study-site and description; existing rows are
never changed. Runs inside seed_demo's transaction and audit context."""

from datetime import date, datetime, time, timedelta

from django.utils import timezone

from accounts.models import User
from core.models import Signature, SignatureMeaning
from core.signatures import content_hash
from monitoring import selectors
from monitoring.models import (
    ActionItem,
    Finding,
    FollowUpLetter,
    MonitoringVisit,
    ReportStatus,
    VisitReport,
    VisitStatus,
)
from trials.models import StudySite

SECTIONS = {
    "attendees": {
        "names": "Dr. James Whitaker (PI), Maria Delgado (coordinator), Marcus Okafor (CRA)"
    },
    "enrollment": {"comments": "Recruitment on track; two subjects in screening."},
    "informed_consent": {
        "consents_reviewed": 4,
        "summary": "All consents signed on ICF v3.0 before any study procedure.",
    },
    "sdv": {
        "subjects_reviewed": "101-001, 101-002, 101-003, 101-004",
        "visits_reviewed": 9,
        "data_points_verified": 412,
        "data_points_total": 450,
    },
    "protocol_deviations": {"summary": "One out-of-window week 4 visit (recorded as a finding)."},
    "ae_review": {"summary": "AE log complete; no new SAEs since the last visit."},
    "ip_accountability": {"summary": "Dispensing and return logs reconciled; no discrepancies."},
    "isf_review": {"summary": "Delegation log missing the new sub-investigator's signature."},
    "facilities": {"summary": "Pharmacy fridge temperature log complete."},
    "general_findings": {"summary": ""},
    "action_item_follow_up": {"comments": "Earlier items closed."},
    "conclusions": {"summary": "Site performs well. Update the delegation log within two weeks."},
}

TAG = " (demo)"


def _at(day: date, hour: int = 9) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, 0)))


def _study_site(protocol: str, number: str) -> StudySite | None:
    return (
        StudySite.objects.select_related("study", "site")
        .filter(study__protocol_number=protocol, site_number=number)
        .first()
    )


def _sign(report: VisitReport, user: User, meaning: str, when: datetime) -> None:
    Signature.objects.get_or_create(
        content_type_id=_content_type_id(),
        object_id=report.pk,
        meaning=meaning,
        defaults={
            "signer": user,
            "printed_name": user.printed_name,
            "signed_at": when,
            "content_hash": content_hash(report.signature_content()),
        },
    )


def _content_type_id() -> int:
    from django.contrib.contenttypes.models import ContentType

    return ContentType.objects.get_for_model(VisitReport).pk


def seed(*, today: date) -> dict[str, int]:
    users = {u.email: u for u in User.objects.filter(email__endswith=".example")}
    created = {"monitoring visits": 0, "visit reports": 0, "action items": 0, "letters": 0}
    marcus = users.get("cra@meridian.example")
    hannah = users.get("cra@apex.example")
    dana = users.get("pm@meridian.example")
    maria = users.get("coordinator@lakeside.example")
    aisha = users.get("coordinator@riverbend.example")
    lakeside = _study_site("MER-CARD-301", "101")
    riverbend = _study_site("MER-CARD-301", "102")
    onc = _study_site("MER-ONC-205", "110")
    derm = _study_site("APX-DERM-210", "3001")
    if not all([marcus, hannah, dana, maria, aisha, lakeside, riverbend, onc, derm]):
        return created

    def visit(study_site, agenda, **fields) -> tuple[MonitoringVisit, bool]:
        obj, new = MonitoringVisit.objects.get_or_create(
            study_site=study_site,
            visit_type=fields.pop("visit_type", "imv"),
            agenda=agenda + TAG,
            defaults=fields,
        )
        created["monitoring visits"] += int(new)
        return obj, new

    def report(v, *, status, author, **fields) -> VisitReport:
        obj, new = VisitReport.objects.get_or_create(
            visit=v,
            version=1,
            defaults={"status": status, "sections": SECTIONS, "created_by": author, **fields},
        )
        if new:
            created["visit reports"] += 1
            obj.enrollment = selectors.enrollment_figures(visit=v)
            obj.save(update_fields=["enrollment"])
            Finding.objects.create(
                report=obj,
                category="deviation",
                severity="minor",
                description="Subject 101-003 week 4 visit 2 days out of window.",
            )
        return obj

    def item(study_site, description, **fields) -> ActionItem:
        obj, new = ActionItem.objects.get_or_create(
            study_site=study_site, description=description + TAG, defaults=fields
        )
        created["action items"] += int(new)
        return obj

    # 1. Lakeside / MER-CARD-301: IMV approved a month ago, letter not yet acknowledged.
    held = today - timedelta(days=30)
    v1, _ = visit(
        lakeside,
        "IMV 4: SDV of subjects enrolled since IMV 3, ISF and pharmacy review",
        cra=marcus,
        planned_at=_at(held),
        status=VisitStatus.APPROVED,
        actual_date=held,
        report_due_date=held + timedelta(days=10),
        confirmed_at=_at(held - timedelta(days=14)),
        confirmed_by=maria,
        attendees="PI, study coordinator",
        documents_to_prepare="Delegation log, IP accountability logs, consent forms",
    )
    r1 = report(
        v1,
        status=ReportStatus.APPROVED,
        author=marcus,
        submitted_by=marcus,
        submitted_at=_at(held + timedelta(days=4)),
        reviewed_by=dana,
        reviewed_at=_at(held + timedelta(days=6)),
    )
    _sign(r1, marcus, SignatureMeaning.AUTHORED, _at(held + timedelta(days=4)))
    _sign(r1, dana, SignatureMeaning.APPROVED, _at(held + timedelta(days=6)))
    delegation = item(
        lakeside,
        "Have the new sub-investigator sign the delegation log",
        visit=v1,
        category="isf",
        owner="site",
        due_date=today + timedelta(days=5),
        raised_by=marcus,
    )
    item(
        lakeside,
        "File the IRB continuing-review approval in the ISF",
        visit=v1,
        category="isf",
        owner="site",
        due_date=today - timedelta(days=3),
        raised_by=marcus,
    )
    item(
        lakeside,
        "Re-train pharmacy staff on temperature excursion reporting",
        visit=v1,
        category="training",
        owner="site",
        due_date=today - timedelta(days=10),
        raised_by=marcus,
        status="resolved",
        resolution_note="Training held; attendance sheet filed in the ISF.",
        resolved_by=maria,
        resolved_at=_at(today - timedelta(days=2)),
    )
    letter, new = FollowUpLetter.objects.get_or_create(
        report=r1,
        defaults={
            "visit": v1,
            "sent_at": _at(held + timedelta(days=6), 15),
            "content": {
                "visit_date": held.isoformat(),
                "visit_type": v1.get_visit_type_display(),
                "monitor": marcus.printed_name,
                "report_version": 1,
                "findings": [
                    {
                        "category": "Protocol deviation",
                        "severity": "Minor",
                        "description": "Subject 101-003 week 4 visit 2 days out of window.",
                    }
                ],
                "action_items": [
                    {
                        "id": delegation.pk,
                        "description": delegation.description,
                        "category": "Investigator site file",
                        "owner": "Site",
                        "due_date": delegation.due_date.isoformat(),
                        "status": "Open",
                    }
                ],
                "conclusions": SECTIONS["conclusions"]["summary"],
            },
        },
    )
    created["letters"] += int(new)

    # 2. Lakeside: the next IMV is planned and waits for Maria's confirmation.
    visit(
        lakeside,
        "IMV 5: SDV of new subjects, consent re-check after ICF v3.1",
        cra=marcus,
        planned_at=_at(today + timedelta(days=6), 10),
        subjects_to_prepare="101-010 to 101-014",
        documents_to_prepare="ICF v3.1 signed copies, delegation log",
    )
    # 3. Riverbend: visit held 12 days ago; report drafted and overdue.
    held = today - timedelta(days=12)
    v3, _ = visit(
        riverbend,
        "IMV 2: SDV and AE log review",
        cra=marcus,
        planned_at=_at(held),
        status=VisitStatus.REPORT_DRAFTED,
        actual_date=held,
        report_due_date=held + timedelta(days=10),
        confirmed_at=_at(held - timedelta(days=10)),
        confirmed_by=aisha,
    )
    report(v3, status=ReportStatus.DRAFT, author=marcus)
    # 4. Riverbend: earlier visit submitted, waiting for Dana's approval.
    held = today - timedelta(days=40)
    v4, _ = visit(
        riverbend,
        "IMV 1: first subjects, consent and eligibility review",
        cra=marcus,
        planned_at=_at(held),
        status=VisitStatus.SUBMITTED,
        actual_date=held,
        report_due_date=held + timedelta(days=10),
        confirmed_at=_at(held - timedelta(days=10)),
        confirmed_by=aisha,
    )
    r4 = report(
        v4,
        status=ReportStatus.SUBMITTED,
        author=marcus,
        submitted_by=marcus,
        submitted_at=_at(today - timedelta(days=2)),
    )
    _sign(r4, marcus, SignatureMeaning.AUTHORED, _at(today - timedelta(days=2)))
    # 5. Riverbend proposed another date for the next visit.
    visit(
        riverbend,
        "IMV 3: SDV of subjects enrolled since IMV 2",
        cra=marcus,
        planned_at=_at(today + timedelta(days=9)),
        status=VisitStatus.PROPOSED,
        proposed_at=_at(today + timedelta(days=11), 13),
        proposal_note="PI is at a congress that week; Thursday afternoon works.",
    )
    # 6. Lakeside / MER-ONC-205: SIV report returned with comments.
    held = today - timedelta(days=12)
    v6, _ = visit(
        onc,
        "SIV: protocol training, ISF set-up, pharmacy and lab walk-through",
        visit_type="siv",
        cra=marcus,
        planned_at=_at(held),
        status=VisitStatus.RETURNED,
        actual_date=held,
        report_due_date=held + timedelta(days=10),
        confirmed_at=_at(held - timedelta(days=7)),
        confirmed_by=maria,
    )
    report(
        v6,
        status=ReportStatus.RETURNED,
        author=marcus,
        submitted_by=marcus,
        submitted_at=_at(held + timedelta(days=3)),
        reviewed_by=dana,
        reviewed_at=_at(held + timedelta(days=4)),
        return_comments="Please list the staff trained and attach the training log reference.",
    )
    # 7. Lakeside / APX-DERM-210 (Apex): confirmed IMV in three days.
    visit(
        derm,
        "IMV 6: SDV, photography source review",
        cra=hannah,
        planned_at=_at(today + timedelta(days=3), 8),
        mode="remote",
        status=VisitStatus.CONFIRMED,
        confirmed_at=_at(today - timedelta(days=4)),
        confirmed_by=maria,
    )
    item(
        derm,
        "Upload the missing week 8 lesion photographs for DRM-3001-004",
        category="data",
        owner="site",
        due_date=today + timedelta(days=2),
        raised_by=hannah,
    )
    # 8. Riverbend: an interim visit held yesterday, still to be recorded as done by Marcus,
    # who also owes the site the updated pharmacy manual.
    visit(
        riverbend,
        "Pharmacy re-check after the temperature excursion",
        cra=marcus,
        planned_at=_at(today - timedelta(days=1), 10),
        status=VisitStatus.CONFIRMED,
        confirmed_at=_at(today - timedelta(days=8)),
        confirmed_by=aisha,
    )
    item(
        riverbend,
        "Send the site the pharmacy manual v4 with the new excursion form",
        category="ip",
        owner="cra",
        due_date=today + timedelta(days=4),
        raised_by=marcus,
    )
    return created
