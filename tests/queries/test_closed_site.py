"""A closed study-site is read-only: its queries can be read but not changed."""

import io

import pytest
from rest_framework.test import APIClient

from core.exceptions import RecordLocked
from queries import services
from queries.models import DataQuery, DataQueryStatus, QueryMessage
from tests.api.errors import error_of
from trials.models import StudySiteStatus

pytestmark = pytest.mark.django_db


def _close(tenant) -> None:
    tenant.study_site.status = StudySiteStatus.CLOSED
    tenant.study_site.save(update_fields=["status"])


def test_closed_site_refuses_query_writes_and_changes_nothing(tenant, query):
    _close(tenant)
    messages = QueryMessage.objects.count()
    with pytest.raises(RecordLocked):
        services.data_query_answer(actor=tenant.coordinator, data_query=query, text="Typo.")
    with pytest.raises(RecordLocked):
        services.data_query_cancel(actor=tenant.cra, data_query=query, text="Raised in error")
    with pytest.raises(RecordLocked):
        services.data_query_raise(
            actor=tenant.cra, subject=tenant.subject, form_name="Labs", text="Check the value."
        )
    query.refresh_from_db()
    assert query.status == DataQueryStatus.OPEN
    assert DataQuery.objects.count() == 1
    assert QueryMessage.objects.count() == messages

    client = APIClient()
    client.force_authenticate(tenant.coordinator)
    assert client.get(f"/api/v1/data-queries/{query.pk}/").status_code == 200
    response = client.post(f"/api/v1/data-queries/{query.pk}/answer/", {"text": "Typo."})
    assert response.status_code == 409
    assert error_of(response)["code"] == "read_only"
    query.refresh_from_db()
    assert query.status == DataQueryStatus.OPEN


def test_import_refuses_rows_of_a_closed_site(tenant):
    _close(tenant)
    csv_text = (
        "subject_id,visit_code,form,field,text,external_id\n"
        f"{tenant.subject.subject_identifier},,Labs,ALT,Please confirm ALT.,EDC-1\n"
    )
    upload = io.BytesIO(csv_text.encode())
    upload.size = len(csv_text)
    report = services.data_query_import(actor=tenant.cra, study=tenant.study, uploaded_file=upload)
    assert report.imported == 0
    assert [(e.line, "closed site" in e.reason) for e in report.errors] == [(2, True)]
    assert not DataQuery.objects.exists()
