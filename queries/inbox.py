"""Work inbox rows of the queries app (registered in QueriesConfig.ready()): queries waiting on
the site, and answers waiting on the CRO's review. One query each, capped."""

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from core.inbox import CAP, DUE_SOON, OVERDUE, WAITING, InboxItem
from queries import selectors
from queries.models import DataQuery, DataQueryStatus, WaitingOn
from trials.models import Study

KINDS_SITE = {"query_answer": "Queries to answer"}
KINDS_CRO = {"query_review": "Answers to review"}


def _age_urgency(since) -> int:
    days = (timezone.now() - since).days if since else 0
    if days >= 30:
        return OVERDUE
    if days >= 7:
        return DUE_SOON
    return WAITING


def _item(query, *, kind: str, verb: str) -> InboxItem:
    study = query.study
    field = f" / {query.field_name}" if query.field_name else ""
    return InboxItem(
        key=f"queries.{kind}:{query.pk}",
        kind=kind,
        title=f"{verb} query on {query.subject.subject_identifier}: {query.form_name}{field}",
        url=query.get_absolute_url(),
        cro_name=study.cro.name,
        cro_id=study.cro_id,
        study_label=study.protocol_number,
        study_id=study.pk,
        urgency=_age_urgency(query.waiting_since),
        detail=query.text[:120],
        since=query.waiting_since,
    )


def _rows(actor, filters: dict) -> QuerySet[DataQuery]:
    """The oldest-waiting queries first, joined only to the subject; studies (with their CRO)
    are fetched by id for the rows kept. Joining every table the list page shows made Postgres
    join thousands of rows before the tenancy filter threw them out (100 ms at full scale)."""
    return (
        selectors.data_query_list(actor=actor, filters=filters)
        .select_related(None)
        .select_related("subject")
        .prefetch_related(Prefetch("study", queryset=Study.objects.select_related("cro")))
        .order_by("waiting_since", "pk")[:CAP]
    )


def site_items(actor) -> list[InboxItem]:
    rows = _rows(actor, {"waiting_on": WaitingOn.SITE})
    return [_item(q, kind="query_answer", verb="Answer the") for q in rows]


def cro_items(actor) -> list[InboxItem]:
    rows = _rows(actor, {"status": DataQueryStatus.ANSWERED})
    return [_item(q, kind="query_review", verb="Review the answered") for q in rows]
