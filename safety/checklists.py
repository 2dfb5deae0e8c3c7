"""The safety item of the close-out checklist (core.checklists): one SQL query."""

from django.db.models import Count, Q
from django.urls import reverse

from core.checklists import ChecklistItem
from safety.models import AdverseEvent, AdverseEventStatus


def close_out_items(study_site) -> list[ChecklistItem]:
    counts = AdverseEvent.objects.filter(subject__study_site=study_site).aggregate(
        to_acknowledge=Count("pk", filter=Q(status=AdverseEventStatus.REPORTED)),
        drafts=Count("pk", filter=Q(status=AdverseEventStatus.DRAFT, is_serious=True)),
    )
    waiting = counts["to_acknowledge"] + counts["drafts"]
    if waiting:
        parts = []
        if counts["to_acknowledge"]:
            parts.append(f"{counts['to_acknowledge']} submitted, not yet acknowledged by safety")
        if counts["drafts"]:
            parts.append(f"{counts['drafts']} serious draft(s) not yet submitted")
        detail = "; ".join(parts) + "."
        status = "reported" if counts["to_acknowledge"] else "draft"
    else:
        detail = "Every serious adverse event report was acknowledged."
        status = "reported"
    url = (
        f"{reverse('adverse_event_list')}?study={study_site.study_id}"
        f"&site={study_site.site_id}&serious=yes&status={status}"
    )
    return [
        ChecklistItem(
            key="safety.sae_acknowledged",
            label="No SAE awaiting acknowledgment",
            done=waiting == 0,
            detail=detail,
            url=url,
        )
    ]
