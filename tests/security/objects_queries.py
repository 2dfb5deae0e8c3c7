"""Access-sweep map for the queries app: one data query per tenant, raised by its CRA."""

from queries.models import DataQuery
from tests.factories.queries import DataQueryFactory


def _query(tenant) -> int:
    existing = DataQuery.objects.filter(study=tenant.study, external_id="SWEEP-1").first()
    if existing is not None:
        return existing.pk
    return DataQueryFactory(
        subject=tenant.subject,
        subject_visit=tenant.subject_visit,
        raised_by=tenant.cra,
        external_id="SWEEP-1",
        text=f"Sweep query text of {tenant.cro.name}",
        form_name=f"Sweep form of {tenant.cro.name}",
    ).pk


OBJECT_KWARGS = {"data_query_id": _query}


def markers(tenant) -> list[str]:
    return [f"Sweep query text of {tenant.cro.name}", f"Sweep form of {tenant.cro.name}"]
