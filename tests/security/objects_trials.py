"""Sweep map for the enrollment log. ``subject_id`` and ``subject_visit_id`` are mapped by the
sweep itself (the shared tenant fixture has a subject and a visit); the marker is a text only
the owning tenant may ever see."""

OBJECT_KWARGS: dict = {}


def markers(tenant) -> list[str]:
    return [tenant.subject.subject_identifier]
