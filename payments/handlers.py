"""Domain-event subscribers (registered in PaymentsConfig.ready()). They run after the event's
transaction commits and are idempotent: each event earns at most once (database constraint),
and a revert adds a linked negative line."""

from payments import services


def on_subject_visit_completed(*, subject_visit_id: int, **_) -> None:
    services.earning_accrue_visit(subject_visit_id=subject_visit_id)


def on_subject_visit_reverted(*, subject_visit_id: int, **_) -> None:
    services.earning_reverse_visit(subject_visit_id=subject_visit_id)


def on_subject_screen_failed(*, subject_id: int, **_) -> None:
    services.earning_accrue_screen_failure(subject_id=subject_id)


def on_milestone_reached(*, milestone_id: int, **_) -> None:
    services.earning_accrue_milestone(milestone_id=milestone_id)
