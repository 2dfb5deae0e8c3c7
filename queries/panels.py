"""Panels of the queries app (registered in QueriesConfig.ready()): dashboard panels, and the
subject page's "Data queries" panel."""

from queries import selectors


def to_answer(request) -> dict:
    return selectors.panel_queries_to_answer(actor=request.user)


def to_review(request) -> dict:
    return selectors.panel_answers_to_review(actor=request.user)


def subject_queries(request, subject) -> dict:
    return selectors.subject_queries(actor=request.user, subject=subject)
