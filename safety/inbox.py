"""Work inbox rows of the safety app (registered in SafetyConfig.ready()): the site's running
SAE clocks and the CRO safety team's reports to acknowledge. One query each, capped."""

from django.utils import timezone

from core.inbox import CAP, DUE_SOON, OVERDUE, InboxItem
from safety import selectors

KINDS_SITE = {"sae_clock": "SAE clocks running"}
KINDS_CRO = {"sae_acknowledge": "SAEs to acknowledge"}


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
            **_where(event),
        )
        for event in selectors.sae_to_acknowledge(actor=actor)[:CAP]
    ]
