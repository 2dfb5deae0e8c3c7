"""Work inbox rows of the monitoring app (registered in MonitoringConfig.ready()).

Built from the dashboard panels' selectors (site_panel, cra_panel): a constant number of
queries, whatever the number of rows.
"""

from django.urls import reverse
from django.utils import timezone

from core.inbox import CAP, OVERDUE, WAITING, InboxAction, InboxItem, urgency_for
from monitoring import selectors
from monitoring.models import ActionItemOwner, ActionItemStatus, VisitStatus

KINDS_SITE = {
    "visit_confirm": "Visits to confirm",
    "letter_acknowledge": "Letters to acknowledge",
    "action_item_due": "Action items due",
}
KINDS_CRA = {
    "visit_date_proposed": "Dates proposed by sites",
    "visit_complete": "Visits to record as done",
    "report_write": "Reports to write",
    "action_item_cra": "My action items",
    "action_item_close": "Action items to close",
}


def _where(study_site) -> dict:
    study = study_site.study
    return {
        "cro_name": study.cro.name,
        "cro_id": study.cro_id,
        "study_label": study.protocol_number,
        "study_id": study.pk,
    }


def site_items(actor) -> list[InboxItem]:
    today = timezone.localdate()
    panel = selectors.site_panel(actor=actor, today=today, limit=CAP)
    items = []
    for visit in panel["to_confirm"]:
        items.append(
            InboxItem(
                key=f"monitoring.visit:{visit.pk}",
                kind="visit_confirm",
                title=f"Confirm the {visit.get_visit_type_display()} visit with {visit.cra}",
                url=visit.get_absolute_url(),
                due=visit.planned_at,
                urgency=urgency_for(visit.planned_at, today, soon_days=7),
                detail=f"Site {visit.study_site.site_number}",
                action=InboxAction(
                    "Confirm",
                    reverse("monitoring_visit_confirm", kwargs={"monitoring_visit_id": visit.pk}),
                ),
                since=visit.created_at,
                **_where(visit.study_site),
            )
        )
    for letter in panel["letters"]:
        visit = letter.visit
        items.append(
            InboxItem(
                key=f"monitoring.letter:{letter.pk}",
                kind="letter_acknowledge",
                title=f"Acknowledge the follow-up letter of the {visit.get_visit_type_display()}"
                " visit",
                url=reverse("monitoring_visit_letter", kwargs={"monitoring_visit_id": visit.pk}),
                urgency=WAITING,
                detail=f"Site {visit.study_site.site_number}",
                action=InboxAction(
                    "Acknowledge",
                    reverse(
                        "monitoring_letter_acknowledge", kwargs={"monitoring_visit_id": visit.pk}
                    ),
                ),
                since=letter.sent_at,
                **_where(visit.study_site),
            )
        )
    for item in panel["items"]:
        items.append(
            InboxItem(
                key=f"monitoring.action_item:{item.pk}",
                kind="action_item_due",
                title=f"Action item: {item}",
                url=item.get_absolute_url(),
                due=item.due_date,
                urgency=urgency_for(item.due_date, today),
                detail=f"Site {item.study_site.site_number}",
                **_where(item.study_site),
            )
        )
    return items


def cra_items(actor) -> list[InboxItem]:
    today = timezone.localdate()
    panel = selectors.cra_panel(actor=actor, today=today, limit=CAP)
    items = []
    for visit in [*panel["to_write"], *panel["returned"]]:
        returned = visit in panel["returned"]
        due = visit.report_due_date
        items.append(
            InboxItem(
                key=f"monitoring.report:{visit.pk}",
                kind="report_write",
                title=(
                    f"Revise the returned report of the {visit.get_visit_type_display()} visit"
                    if returned
                    else f"Write the report of the {visit.get_visit_type_display()} visit"
                ),
                url=visit.get_absolute_url(),
                due=due,
                urgency=max(urgency_for(due, today), OVERDUE if returned else 0),
                detail=f"{visit.study_site.site.name} (site {visit.study_site.site_number})",
                since=visit.planned_at,
                **_where(visit.study_site),
            )
        )
    now = timezone.now()
    for visit in panel["upcoming"]:
        if visit.status == VisitStatus.PROPOSED and visit.proposed_at:
            items.append(
                InboxItem(
                    key=f"monitoring.visit_proposed:{visit.pk}",
                    kind="visit_date_proposed",
                    title=f"Accept the date the site proposes for the "
                    f"{visit.get_visit_type_display()} visit",
                    url=visit.get_absolute_url(),
                    due=visit.proposed_at,
                    urgency=urgency_for(visit.proposed_at, today, soon_days=7),
                    detail=f"{visit.study_site.site.name} (site {visit.study_site.site_number})"
                    f" proposes {timezone.localtime(visit.proposed_at):%d %b %Y %H:%M}"
                    + (f" · {visit.proposal_note}" if visit.proposal_note else ""),
                    action=InboxAction(
                        "Accept date",
                        reverse(
                            "monitoring_visit_accept", kwargs={"monitoring_visit_id": visit.pk}
                        ),
                    ),
                    since=visit.created_at,
                    **_where(visit.study_site),
                )
            )
        elif visit.status == VisitStatus.CONFIRMED and visit.planned_at < now:
            items.append(
                InboxItem(
                    key=f"monitoring.visit_complete:{visit.pk}",
                    kind="visit_complete",
                    title=f"Record the {visit.get_visit_type_display()} visit as done",
                    url=visit.get_absolute_url(),
                    due=visit.planned_at,
                    urgency=OVERDUE,
                    detail=f"{visit.study_site.site.name} (site {visit.study_site.site_number})",
                    since=visit.planned_at,
                    **_where(visit.study_site),
                )
            )
    items_for_me = selectors.action_item_list(
        actor=actor,
        filters={"status": ActionItemStatus.OPEN, "owner": ActionItemOwner.CRA, "sort": "due"},
    )
    for item in items_for_me[:CAP]:
        items.append(
            InboxItem(
                key=f"monitoring.action_item:{item.pk}",
                kind="action_item_cra",
                title=f"Action item: {item}",
                url=item.get_absolute_url(),
                due=item.due_date,
                urgency=urgency_for(item.due_date, today),
                detail=f"{item.study_site.site.name} (site {item.study_site.site_number})",
                since=item.created_at,
                **_where(item.study_site),
            )
        )
    resolved = selectors.action_item_list(
        actor=actor, filters={"status": ActionItemStatus.RESOLVED, "sort": "due"}
    )
    for item in resolved[:CAP]:
        note = f" · resolved: {item.resolution_note}" if item.resolution_note else ""
        items.append(
            InboxItem(
                key=f"monitoring.action_item_close:{item.pk}",
                kind="action_item_close",
                title=f"Close the resolved action item: {item}",
                url=item.get_absolute_url(),
                due=item.due_date,
                urgency=urgency_for(item.due_date, today),
                detail=f"{item.study_site.site.name} (site {item.study_site.site_number}){note}",
                action=InboxAction(
                    "Close",
                    reverse("action_item_close", kwargs={"action_item_id": item.pk}),
                ),
                since=item.resolved_at,
                **_where(item.study_site),
            )
        )
    return items
