"""Checklist items trials owns: the clinical trial agreement (activation) and the
investigational product reconciliation (close-out)."""

import datetime as dt

import pytest
from django.test import Client

from accounts.models import Role
from core import checklists
from core.audit import audit_trail
from core.exceptions import ApplicationError, PermissionDenied, TransitionNotAllowed
from tests.factories import member
from trials import services
from trials.models import StudySite, StudySiteStatus
from trials.selectors import agreement_checklist_items, ip_reconciliation_checklist_items

SIGNED = dt.date(2026, 3, 20)


def _contracted(tenant) -> StudySite:
    StudySite.objects.filter(pk=tenant.study_site.pk).update(status=StudySiteStatus.CONTRACTED)
    tenant.study_site.refresh_from_db()
    return tenant.study_site


@pytest.mark.django_db
def test_agreement_first_entry_needs_no_reason_a_change_does(tenant, frozen_today):
    study_site = services.study_site_record_agreement(
        actor=tenant.pm, study_site=tenant.study_site, signed_on=SIGNED
    )
    assert study_site.agreement_signed_on == SIGNED
    with pytest.raises(ApplicationError) as error:
        services.study_site_record_agreement(
            actor=tenant.pm, study_site=study_site, signed_on=dt.date(2026, 3, 21)
        )
    assert "reason" in error.value.fields
    services.study_site_record_agreement(
        actor=tenant.pm,
        study_site=study_site,
        signed_on=dt.date(2026, 3, 21),
        reason="countersignature date was the 21st",
    )
    study_site.refresh_from_db()
    assert study_site.agreement_signed_on == dt.date(2026, 3, 21)
    reasons = [entry.reason for entry in audit_trail(study_site)]
    assert "countersignature date was the 21st" in str(reasons)


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["coordinator", "cra", "finance", "sponsor_viewer"])
def test_only_pm_or_lead_records_the_agreement(tenant, who):
    with pytest.raises(PermissionDenied):
        services.study_site_record_agreement(
            actor=getattr(tenant, who), study_site=tenant.study_site, signed_on=SIGNED
        )
    tenant.study_site.refresh_from_db()
    assert tenant.study_site.agreement_signed_on is None


@pytest.mark.django_db
def test_a_future_agreement_date_is_refused(tenant, frozen_today):
    with pytest.raises(ApplicationError) as error:
        services.study_site_record_agreement(
            actor=tenant.pm, study_site=tenant.study_site, signed_on=frozen_today.replace(day=2)
        )
    assert "signed_on" in error.value.fields


@pytest.mark.django_db
def test_activation_waits_for_the_agreement(tenant, frozen_today, django_assert_num_queries):
    study_site = _contracted(tenant)
    with django_assert_num_queries(0):
        (item,) = agreement_checklist_items(study_site)
    assert item.key == "trials.agreement_signed" and not item.done
    assert "trials.agreement_signed" in {
        i.key for i in checklists.open_items(checklists.ACTIVATION, study_site)
    }
    with pytest.raises(ApplicationError) as error:
        services.study_site_transition(
            actor=tenant.pm, study_site=study_site, to_status=StudySiteStatus.ACTIVATED
        )
    assert "Clinical trial agreement signed" in error.value.message
    services.study_site_record_agreement(actor=tenant.pm, study_site=study_site, signed_on=SIGNED)
    study_site.refresh_from_db()
    (item,) = agreement_checklist_items(study_site)
    assert item.done and "2026-03-20" in item.detail


@pytest.mark.django_db
def test_ip_reconciliation_by_the_assigned_cra_once(tenant, django_assert_num_queries):
    unassigned = member(tenant.cro, Role.CRA)
    with pytest.raises(PermissionDenied):
        services.study_site_reconcile_ip(actor=unassigned, study_site=tenant.study_site)
    with pytest.raises(PermissionDenied):
        services.study_site_reconcile_ip(actor=tenant.coordinator, study_site=tenant.study_site)
    study_site = services.study_site_reconcile_ip(
        actor=tenant.cra, study_site=tenant.study_site, note="Kits 1-40 reconciled"
    )
    assert study_site.ip_reconciled_by == tenant.cra
    assert study_site.ip_reconciliation_note == "Kits 1-40 reconciled"
    with django_assert_num_queries(0):
        (item,) = ip_reconciliation_checklist_items(study_site)
    assert item.done and item.key == "trials.ip_reconciled"
    with pytest.raises(TransitionNotAllowed):
        services.study_site_reconcile_ip(actor=tenant.pm, study_site=study_site)


@pytest.mark.django_db
def test_a_study_lead_may_attest_ip_reconciliation(tenant):
    study_site = services.study_site_reconcile_ip(actor=tenant.pm, study_site=tenant.study_site)
    assert study_site.ip_reconciled_by == tenant.pm
    assert "trials.ip_reconciled" not in {
        i.key for i in checklists.open_items(checklists.CLOSE_OUT, study_site)
    }


@pytest.mark.django_db
def test_study_site_page_shows_and_records_both(tenant, frozen_today):
    client = Client()
    client.force_login(tenant.pm)
    url = f"/study-sites/{tenant.study_site.pk}/"
    assert "Not recorded as signed yet." in client.get(url).content.decode()
    response = client.post(f"{url}agreement/", {"agreement-signed_on": "2026-03-20"})
    assert response.status_code == 302
    assert "Signed on 2026-03-20" in client.get(url).content.decode()
    response = client.post(f"{url}agreement/", {"agreement-signed_on": "2026-03-19"})
    assert response.status_code == 400
    assert "Say why." in response.content.decode()
    tenant.study_site.refresh_from_db()
    assert tenant.study_site.agreement_signed_on == SIGNED

    client.force_login(tenant.cra)
    html = client.get(url).content.decode()
    assert "Attest reconciled" in html and "Record signing date" not in html
    response = client.post(f"{url}ip-reconciliation/", {"ip-note": "All kits returned"})
    assert response.status_code == 302
    html = client.get(url).content.decode()
    assert f"attested by {tenant.cra.printed_name}" in html and "All kits returned" in html

    client.force_login(tenant.coordinator)
    assert client.post(f"{url}agreement/", {"agreement-signed_on": "2026-03-01"}).status_code == 403


@pytest.mark.django_db
def test_api_records_the_agreement_and_the_ip_attestation(tenant, frozen_today):
    from rest_framework.test import APIClient

    client = APIClient()
    base = f"/api/v1/study-sites/{tenant.study_site.pk}"
    client.force_login(tenant.coordinator)
    assert client.post(f"{base}/agreement/", {"signed_on": "2026-03-20"}).status_code == 403
    client.force_login(tenant.pm)
    response = client.post(f"{base}/agreement/", {"signed_on": "2026-03-20"})
    assert response.status_code == 200 and response.json()["agreement_signed_on"] == "2026-03-20"
    response = client.post(f"{base}/agreement/", {"signed_on": "2026-03-19"})
    assert response.status_code == 400 and "reason" in response.json()["error"]["fields"]
    client.force_login(tenant.cra)
    response = client.post(f"{base}/ip-reconciliation/", {"note": "Kits reconciled"})
    assert response.status_code == 200
    assert response.json()["ip_reconciled_by"] == tenant.cra.printed_name
    assert client.post(f"{base}/ip-reconciliation/", {}).status_code == 409
