"""Sweep map for dashboards. The study overview (``studies/<study_id>/overview/`` and its API
twin) names its object ``study_id``, which the sweep maps itself to the tenant's study; so the
sweep already walks it as every outsider (another CRO's lead, its CRA, a site coordinator and
a sponsor viewer of another sponsor) and expects a 404. The markers are figures of the tenant's
overview that no other tenant may ever see."""

OBJECT_KWARGS: dict = {}


def markers(tenant) -> list[str]:
    return [f"Study overview · {tenant.study.protocol_number}"]
