import datetime as dt

import pytest
import time_machine

from core import checklists
from regulatory.services import document_version_approve, document_version_upload
from tests.factories.regulatory import DocumentRequirementFactory, document_type
from tests.regulatory.conftest import pdf

TODAY = dt.date(2026, 3, 2)


def _items(checklist, study_site) -> dict:
    return {i.key: i for i in checklists.items(checklist, study_site) if i.key.startswith("reg")}


def _upload(tenant, requirement, **kwargs):
    return document_version_upload(
        actor=tenant.coordinator,
        study_site=tenant.study_site,
        requirement=requirement,
        file=pdf(),
        **kwargs,
    )


@pytest.mark.django_db
def test_activation_items_turn_green_as_documents_are_approved(
    tenant, regulatory, django_assert_max_num_queries
):
    items = _items(checklists.ACTIVATION, tenant.study_site)
    assert not items["regulatory.documents_approved"].done
    assert "not defined" in items["regulatory.documents_approved"].detail
    assert not items["regulatory.irb_current"].done

    log = DocumentRequirementFactory(
        study=tenant.study, document_type=document_type("delegation_log"), created_by=tenant.pm
    )
    irb = DocumentRequirementFactory(
        study=tenant.study, document_type=document_type("irb_protocol"), created_by=tenant.pm
    )
    with time_machine.travel(TODAY, tick=False):
        log_version = _upload(tenant, log)
        irb_version = _upload(
            tenant,
            irb,
            effective_on=TODAY - dt.timedelta(days=10),
            expires_on=TODAY + dt.timedelta(days=100),
        )
        with django_assert_max_num_queries(8):
            items = _items(checklists.ACTIVATION, tenant.study_site)
        assert items["regulatory.documents_approved"].label.endswith("(0 of 2)")
        assert not items["regulatory.irb_current"].done
        close_out = _items(checklists.CLOSE_OUT, tenant.study_site)
        assert not close_out["regulatory.documents_final"].done
        assert "waiting for review" in close_out["regulatory.documents_final"].detail

        document_version_approve(actor=regulatory, version=log_version)
        document_version_approve(actor=regulatory, version=irb_version)
        items = _items(checklists.ACTIVATION, tenant.study_site)
        assert all(item.done for item in items.values())
        assert items["regulatory.documents_approved"].label.endswith("(2 of 2)")
        assert _items(checklists.CLOSE_OUT, tenant.study_site)["regulatory.documents_final"].done
        assert not [
            i
            for i in checklists.open_items(checklists.ACTIVATION, tenant.study_site)
            if i.key.startswith("regulatory")
        ]

    # After the IRB's continuing review date passes, activation is blocked again.
    with time_machine.travel(TODAY + dt.timedelta(days=100), tick=False):
        items = _items(checklists.ACTIVATION, tenant.study_site)
        assert not items["regulatory.irb_current"].done
        assert "expired" in items["regulatory.irb_current"].detail
        assert not items["regulatory.none_expired"].done
        assert not items["regulatory.documents_approved"].done


@pytest.mark.django_db
def test_amendment_approval_is_part_of_irb_current(tenant, regulatory):
    irb = DocumentRequirementFactory(
        study=tenant.study, document_type=document_type("irb_protocol"), created_by=tenant.pm
    )
    DocumentRequirementFactory(
        study=tenant.study,
        document_type=document_type("irb_amendment"),
        qualifier="Amendment 1",
        created_by=tenant.pm,
    )
    with time_machine.travel(TODAY, tick=False):
        version = _upload(
            tenant, irb, effective_on=TODAY, expires_on=TODAY + dt.timedelta(days=365)
        )
        document_version_approve(actor=regulatory, version=version)
        item = _items(checklists.ACTIVATION, tenant.study_site)["regulatory.irb_current"]
    assert not item.done
    assert "Amendment 1" in item.detail
