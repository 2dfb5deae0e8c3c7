"""Panels other apps register for the subject page (core.panels slot "subject")."""

import pytest
from django.test import Client

from core import panels


@pytest.fixture
def subject_panel(monkeypatch, tmp_path, settings):
    """A throw-away panel for the subject slot, for site people only."""
    monkeypatch.setattr(panels, "_panels", list(panels._panels))
    (tmp_path / "throwaway_panel.html").write_text(
        "<div class='card'>Throw-away panel for {{ panel.identifier }}</div>"
    )
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0]["DIRS"], str(tmp_path)]}
    ]
    seen = []

    def build(request, subject):
        seen.append(subject.pk)
        return {"identifier": subject.subject_identifier}

    panels.register(
        panels.Panel(
            "Throw-away",
            "throwaway_panel.html",
            build,
            kinds=frozenset({"site"}),
            slot="subject",
        )
    )
    return seen


@pytest.mark.django_db
def test_subject_page_renders_the_panels_of_its_slot(subject_panel, tenant):
    client = Client()
    client.force_login(tenant.coordinator)
    html = client.get(f"/subjects/{tenant.subject.pk}/").content.decode()
    assert f"Throw-away panel for {tenant.subject.subject_identifier}" in html
    assert subject_panel == [tenant.subject.pk]

    client.force_login(tenant.pm)  # a CRO user: the panel is for sites only
    html = client.get(f"/subjects/{tenant.subject.pk}/").content.decode()
    assert "Throw-away panel" not in html
    assert subject_panel == [tenant.subject.pk]
    assert "Throw-away panel" not in client.get("/").content.decode()  # not a dashboard panel
