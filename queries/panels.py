"""Dashboard panels of the queries app (registered in QueriesConfig.ready())."""

from queries import selectors


def to_answer(request) -> dict:
    return selectors.panel_queries_to_answer(actor=request.user)


def to_review(request) -> dict:
    return selectors.panel_answers_to_review(actor=request.user)
