import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from queries import services
from queries.models import DataQueryStatus

pytestmark = pytest.mark.django_db


def test_queries_path_lists_the_same_rows_and_answers(tenant, other_tenant, query):

    services.data_query_raise(
        actor=other_tenant.cra,
        subject=other_tenant.subject,
        form_name="Labs",
        text="Beta only query text.",
    )
    api = APIClient()
    api.force_authenticate(tenant.coordinator)

    assert reverse("api_query-list") == "/api/v1/queries/"
    alias = api.get("/api/v1/queries/").json()
    original = api.get("/api/v1/data-queries/").json()
    assert alias["count"] == original["count"] == 1
    assert [row["id"] for row in alias["results"]] == [query.pk]
    assert alias["results"] == original["results"]

    answered = api.post(f"/api/v1/queries/{query.pk}/answer/", {"text": "Typo: 130 in source."})
    assert answered.status_code == 200, answered.json()
    assert answered.json()["status"] == DataQueryStatus.ANSWERED
    query.refresh_from_db()
    assert query.status == DataQueryStatus.ANSWERED
