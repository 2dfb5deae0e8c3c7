"""Work inbox rows of the safety app (registered in SafetyConfig.ready()): the site's running
SAE clocks, the CRO safety team's reports to acknowledge (one click), and for a CRA the SAE
clocks running at their sites (to follow up with the site). One query each, capped."""

from django.urls import reverse
from django.utils import timezone

from core.inbox import CAP, DUE_SOON, OVERDUE, InboxAction, InboxItem
from safety import selectors
from safety.models import AdverseEventStatus

KINDS_SITE = {"sae_clock": "SAE clocks running"}
KINDS_CRO = {"sae_acknowledge": "SAEs to acknowledge"}
KINDS_CRA = {"sae_follow_up": "SAEs not yet reported by my sites"}


def _where(event) -> dict:
    study = event.subject.study_site.study
    return {
        "cro_name": study.cro.name,
        "cro_id": study.cro_id,
        "study_label": study.protocol_number,
        "study_id": study.pk,
    }


def site_items(actor) -> list[InboxItem]:
    now = timezone.now()
    return [
        InboxItem(
            key=f"safety.sae_clock:{event.pk}",
            kind="sae_clock",
            title=f"Report SAE {event} for {event.subject.subject_identifier}",
            url=event.get_absolute_url(),
            due=event.due_at,
            # A running SAE clock is always urgent; past its deadline it is overdue.
            urgency=OVERDUE if event.due_at and event.due_at < now else DUE_SOON,
            since=event.awareness_at,
            **_where(event),
        )
        for event in selectors.sae_clocks_running(actor=actor)[:CAP]
    ]


def cro_items(actor) -> list[InboxItem]:
    return [
        InboxItem(
            key=f"safety.sae_acknowledge:{event.pk}",
            kind="sae_acknowledge",
            title=f"Acknowledge SAE {event} ({event.subject.subject_identifier})",
            url=event.get_absolute_url(),
            urgency=DUE_SOON,
            since=event.reported_at,
            detail=event.subject.study_site.site.name,
            action=InboxAction(
                "Acknowledge",
                reverse("adverse_event_acknowledge", kwargs={"adverse_event_id": event.pk}),
            ),
            **_where(event),
        )
        for event in selectors.sae_to_acknowledge(actor=actor)[:CAP]
    ]


def cra_items(actor) -> list[InboxItem]:
    """Serious events a CRA's sites recorded but have not reported yet: the 24-hour clock runs
    and the CRA follows up with the site (only the CRO safety team acknowledges reports)."""
    now = timezone.now()
    events = selectors.adverse_event_list(
        actor=actor, filters={"status": AdverseEventStatus.DRAFT, "ordering": "due_at"}
    )[:CAP]
    return [
        InboxItem(
            key=f"safety.sae_follow_up:{event.pk}",
            kind="sae_follow_up",
            title=f"Follow up SAE {event} ({event.subject.subject_identifier}): not reported yet",
            url=event.get_absolute_url(),
            due=event.due_at,
            urgency=OVERDUE if event.due_at and event.due_at < now else DUE_SOON,
            since=event.awareness_at,
            detail=(
                f"{event.subject.study_site.site.name} "
                f"(site {event.subject.study_site.site_number})"
            ),
            **_where(event),
        )
        for event in events
    ]
