"""Dashboard panels: the site's running SAE clocks and CRO safety's acknowledgment queue.

Each runs one query whatever the number of reports: the first rows (joining only what the
panel shows) and the count, capped at PANEL_CAP.
"""

from core.panels import first_rows
from safety import selectors

PANEL_ROWS = 5
PANEL_CAP = 25
PANEL_RELATED = ("subject__study_site__study__cro",)


def _rows(queryset) -> dict:
    return first_rows(
        queryset.select_related(None).select_related(*PANEL_RELATED), PANEL_ROWS, cap=PANEL_CAP
    )


def sae_clocks_panel(request) -> dict:
    return _rows(selectors.sae_clocks_running(actor=request.user))


def sae_to_acknowledge_panel(request) -> dict:
    return _rows(selectors.sae_to_acknowledge(actor=request.user))


def subject_adverse_events_panel(request, subject) -> dict:
    return selectors.subject_adverse_events(actor=request.user, subject=subject)
