"""Regulatory items of the site activation and close-out checklists (core.checklists).

Each provider takes a study-site the caller may already see and runs a constant number of
queries (document_slots: at most three)."""

from django.urls import reverse

from core.checklists import ChecklistItem
from regulatory.selectors import SlotStatus, document_slots, irb_approval_current


def _documents_url(study_site) -> str:
    return reverse("study_site_documents", kwargs={"study_site_id": study_site.pk})


def _required_approved(slots, study_site) -> ChecklistItem:
    done = [s for s in slots if s.done]
    total = len(slots)
    if not total:
        detail = "The study has not defined its required documents yet."
    else:
        waiting = [s.label for s in slots if not s.done][:3]
        detail = f"{len(done)} of {total} approved."
        if waiting:
            more = total - len(done) - len(waiting)
            detail += " Waiting: " + "; ".join(waiting) + (f" and {more} more." if more else ".")
    return ChecklistItem(
        key="regulatory.documents_approved",
        label=f"Required documents approved ({len(done)} of {total})",
        done=bool(total) and len(done) == total,
        detail=detail,
        url=_documents_url(study_site),
    )


def activation_items(study_site) -> list[ChecklistItem]:
    slots = document_slots(study_site)
    irb_done, irb_detail = irb_approval_current(slots)
    expired = [s for s in slots if s.status == SlotStatus.EXPIRED]
    return [
        _required_approved(slots, study_site),
        ChecklistItem(
            key="regulatory.irb_current",
            label="IRB approval current",
            done=irb_done,
            detail=irb_detail,
            url=_documents_url(study_site),
        ),
        ChecklistItem(
            key="regulatory.none_expired",
            label="No expired documents",
            done=not expired,
            detail=(
                "Expired: " + "; ".join(s.label for s in expired[:5])
                if expired
                else "No document has passed its expiry date."
            ),
            url=_documents_url(study_site),
        ),
    ]


def close_out_items(study_site) -> list[ChecklistItem]:
    slots = document_slots(study_site)
    approved = [s for s in slots if s.done]
    pending = [s for s in slots if s.status == SlotStatus.SUBMITTED]
    total = len(slots)
    done = len(approved) == total and not pending
    if done:
        detail = f"All {total} required documents approved; none waiting for review."
    else:
        parts = [f"{len(approved)} of {total} approved"]
        if pending:
            parts.append(f"{len(pending)} waiting for review")
        detail = "; ".join(parts) + "."
    return [
        ChecklistItem(
            key="regulatory.documents_final",
            label="Documents final",
            done=done,
            detail=detail,
            url=_documents_url(study_site),
        )
    ]
