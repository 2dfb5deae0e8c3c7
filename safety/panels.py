"""Dashboard panels: the site's running SAE clocks and CRO safety's acknowledgment queue.

Each runs one query (rows capped), whatever the number of reports.
"""

from safety import selectors

PANEL_ROWS = 5
PANEL_CAP = 25


def _rows(queryset) -> dict:
    rows = list(queryset[:PANEL_CAP])
    return {
        "rows": rows[:PANEL_ROWS],
        "count": len(rows),
        "capped": len(rows) >= PANEL_CAP,
        "more": max(len(rows) - PANEL_ROWS, 0),
    }


def sae_clocks_panel(request) -> dict:
    return _rows(selectors.sae_clocks_running(actor=request.user))


def sae_to_acknowledge_panel(request) -> dict:
    return _rows(selectors.sae_to_acknowledge(actor=request.user))


def subject_adverse_events_panel(request, subject) -> dict:
    return selectors.subject_adverse_events(actor=request.user, subject=subject)
