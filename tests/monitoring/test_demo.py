import pytest
from django.utils import timezone

from core.audit import audit_context
from monitoring.demo import seed
from monitoring.models import MonitoringVisit, VisitReport


@pytest.mark.django_db
def test_demo_seed_is_idempotent_and_fills_every_stage():
    # The shared trial demo rows only (the other apps' demo rows are not needed here).
    from dashboards.demo import _Seeder

    today = timezone.localdate()
    seeder = _Seeder(today)
    with audit_context(reason="demo data (invented)"):
        seeder.seed_organizations()
        seeder.seed_people()
        seeder.seed_studies()
        first = seed(today=today)
        second = seed(today=today)
    assert first["monitoring visits"] == MonitoringVisit.objects.count() >= 7
    assert sum(second.values()) == 0
    statuses = set(MonitoringVisit.objects.values_list("status", flat=True))
    assert {
        "planned",
        "proposed",
        "confirmed",
        "report_drafted",
        "submitted",
        "returned",
    } <= statuses
    assert VisitReport.objects.filter(status="approved").exists()
