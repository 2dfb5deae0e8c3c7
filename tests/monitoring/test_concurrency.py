import threading

import pytest
from django.db import connection

from core.exceptions import TransitionNotAllowed
from core.models import Notification
from monitoring import services
from monitoring.models import MonitoringVisit
from tests.factories.monitoring import plan


@pytest.mark.django_db(transaction=True)
def test_two_people_confirming_at_once_make_one_transition(tenant):
    visit = plan(tenant)
    from accounts.models import Role
    from tests.factories import member

    second = member(tenant.site, Role.COORDINATOR)
    barrier = threading.Barrier(2)
    results: list[str] = []

    def confirm(user):
        try:
            barrier.wait()
            services.visit_confirm(actor=user, visit=visit)
            results.append("ok")
        except TransitionNotAllowed:
            results.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=confirm, args=(u,)) for u in (tenant.coordinator, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["ok", "refused"]
    assert MonitoringVisit.objects.get(pk=visit.pk).status == "confirmed"
    letters = Notification.objects.filter(
        kind="monitoring.visit_confirmation_letter", recipient=tenant.cra
    )
    assert letters.count() == 1
