"""Sweep map for trials. ``subject_id`` and ``subject_visit_id`` are mapped by the sweep itself
(the shared tenant fixture has a subject and a visit); this adds a study update (sent to the
tenant's study-site, confirmation asked) and the site's copy of it. The markers are texts only
the owning tenant may ever see."""

from trials.models import StudyUpdate


def _title(tenant) -> str:
    return f"Sweep update of {tenant.cro.name}"


def _update(tenant) -> StudyUpdate:
    existing = StudyUpdate.objects.filter(study=tenant.study, title=_title(tenant)).first()
    if existing is not None:
        return existing
    from tests.factories.trials import study_update

    return study_update(tenant, study_sites=[tenant.study_site], title=_title(tenant))


OBJECT_KWARGS: dict = {
    "study_update_id": lambda tenant: _update(tenant).pk,
    "study_update_recipient_id": lambda tenant: _update(tenant).recipients.get().pk,
}


def markers(tenant) -> list[str]:
    return [tenant.subject.subject_identifier, _title(tenant)]
