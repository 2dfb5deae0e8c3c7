import re

import pytest
from django.urls import reverse


@pytest.mark.django_db
def test_schema_documents_the_api(client):
    response = client.get(reverse("api_schema"), {"format": "json"})

    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {
        "/api/v1/auth/token/",
        "/api/v1/organizations/me/",
        "/api/v1/studies/",
        "/api/v1/studies/{study_id}/",
        "/api/v1/study-sites/",
        "/api/v1/study-sites/{study_site_id}/",
        "/api/v1/study-sites/{study_site_id}/transition/",
    } <= set(paths)
    patch_body = paths["/api/v1/studies/{study_id}/"]["patch"]["requestBody"]
    schema_ref = patch_body["content"]["application/json"]["schema"]["$ref"]
    component = response.json()["components"]["schemas"][schema_ref.rsplit("/", 1)[1]]
    assert component["required"] == ["reason"]


@pytest.mark.django_db
def test_docs_page_uses_local_assets_only(client):
    response = client.get(reverse("api_docs"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert not re.search(r"(src|href)=\"(https?:)?//", html)
    assert "cdn" not in html.lower()
    # Our CSP allows scripts from our own origin only: the page must not need an inline one.
    assert "<script>" not in html
    assert client.get(reverse("api_docs") + "?script=").status_code == 200
