"""Work inbox rows of the trials app (registered in TrialsConfig.ready()): study updates a site
has not read or not confirmed yet. One query, capped."""

from django.urls import reverse

from core.inbox import CAP, DUE_SOON, WAITING, InboxAction, InboxItem
from trials import selectors

KINDS_SITE = {"study_update": "Study updates unread"}


def site_items(actor) -> list[InboxItem]:
    rows = selectors.study_update_inbox(actor=actor, filters={"pending": True})[:CAP]
    items = []
    for recipient in rows:
        update = recipient.study_update
        study = update.study
        if recipient.read_at is None:
            action = InboxAction(
                "Mark read",
                reverse(
                    "study_update_recipient_read",
                    kwargs={"study_update_recipient_id": recipient.pk},
                ),
            )
            verb = "Read"
        else:
            action = InboxAction(
                "Confirm",
                reverse(
                    "study_update_recipient_confirm",
                    kwargs={"study_update_recipient_id": recipient.pk},
                ),
            )
            verb = "Confirm you read"
        items.append(
            InboxItem(
                key=f"trials.study_update:{recipient.pk}",
                kind="study_update",
                title=f"{verb} the {update.get_kind_display().lower()}: {update.title}",
                url=update.get_absolute_url(),
                cro_name=study.cro.name,
                cro_id=study.cro_id,
                study_label=study.protocol_number,
                study_id=study.pk,
                urgency=DUE_SOON if update.confirmation_required else WAITING,
                detail=f"Site {recipient.study_site.site_number}",
                action=action,
                since=update.posted_at,
            )
        )
    return items
