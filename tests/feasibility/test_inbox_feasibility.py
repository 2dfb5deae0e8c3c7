"""Work inbox rows of feasibility: questionnaires a site must answer, responses a CRO must
review and decide on."""

import datetime as dt

import pytest
from django.utils import timezone

from accounts.models import Role
from core import inbox as registry
from core.inbox import DUE_SOON, OVERDUE, WAITING
from feasibility import inbox
from feasibility.models import RequestStatus
from tests.factories import StudyTeamMemberFactory
from tests.factories.feasibility import FeasibilityRequestFactory, QuestionnaireFactory
from trials.models import TeamRole

pytestmark = pytest.mark.django_db


def _request(tenant, *, site=None, days=10, study=None, **fields):
    questionnaire = QuestionnaireFactory(study=study or tenant.study, created_by=tenant.pm)
    return FeasibilityRequestFactory(
        questionnaire=questionnaire,
        site=site or tenant.site,
        due_date=timezone.localdate() + dt.timedelta(days=days),
        **fields,
    )


def _submitted(tenant, site, status=RequestStatus.SUBMITTED):
    return _request(tenant, site=site, status=status, submitted_at=timezone.now())


def test_site_answers_open_questionnaires_of_any_cro_not_answered_ones(tenant, other_tenant):
    sent = _request(tenant, days=3)
    started = _request(tenant, days=-2, status=RequestStatus.IN_PROGRESS)
    later = _request(tenant, days=30)
    _submitted(tenant, tenant.site)
    # Another CRO's questionnaire to the same site: it is the site's work too.
    beta_to_alpha = _request(other_tenant, site=tenant.site, days=20)
    # A request to another site never shows.
    _request(tenant, site=other_tenant.site)

    rows = {i.key: i for i in inbox.site_items(tenant.coordinator)}
    assert set(rows) == {
        f"feasibility.request:{r.pk}" for r in (sent, started, later, beta_to_alpha)
    }
    assert rows[f"feasibility.request:{sent.pk}"].urgency == DUE_SOON
    started_row = rows[f"feasibility.request:{started.pk}"]
    assert started_row.urgency == OVERDUE
    assert started_row.title.startswith("Finish and submit the feasibility questionnaire")
    assert rows[f"feasibility.request:{later.pk}"].urgency == WAITING
    assert rows[f"feasibility.request:{beta_to_alpha.pk}"].cro_name == other_tenant.cro.name
    assert rows[f"feasibility.request:{sent.pk}"].url == sent.get_absolute_url()


def test_cro_deciders_review_submitted_and_shortlisted_responses(tenant, other_tenant):
    submitted = _submitted(tenant, other_tenant.site)
    shortlisted = _submitted(tenant, tenant.site, RequestStatus.SHORTLISTED)
    _request(tenant, site=other_tenant.site)  # still open at the site: not the CRO's work
    rows = {i.key: i for i in inbox.cro_items(tenant.pm)}
    assert set(rows) == {
        f"feasibility.review:{submitted.pk}",
        f"feasibility.review:{shortlisted.pk}",
    }
    assert rows[f"feasibility.review:{submitted.pk}"].title == (
        "Review the feasibility answers of Beta Clinic"
    )
    assert rows[f"feasibility.review:{shortlisted.pk}"].title == (
        "Decide on the shortlisted Alpha Clinic"
    )
    # A CRA decides only on the studies they lead; another CRO's people see nothing.
    assert inbox.cro_items(tenant.cra) == []
    StudyTeamMemberFactory(study=tenant.study, user=tenant.cra, role=TeamRole.LEAD)
    assert len(inbox.cro_items(tenant.cra)) == 2
    assert inbox.cro_items(other_tenant.pm) == []


def test_registered_for_the_people_who_act():
    def names(kind, roles):
        return {r.name for r in registry.providers_for(kind, roles)}

    assert "feasibility.site" in names("site", {Role.COORDINATOR})
    assert "feasibility.cro" in names("cro", {Role.PROJECT_MANAGER})
    # Regulatory specialists may read feasibility but do not decide on it.
    assert "feasibility.cro" not in names("cro", {Role.REGULATORY})
    assert "feasibility.site" not in names("cro", {Role.PROJECT_MANAGER})


def test_query_budget_does_not_grow_with_the_rows(tenant, django_assert_max_num_queries):
    for _ in range(2):
        _request(tenant)
        _submitted(tenant, tenant.site)
    with django_assert_max_num_queries(4) as small:
        assert len(inbox.site_items(tenant.coordinator)) == 2
        assert len(inbox.cro_items(tenant.pm)) == 2
    for _ in range(10):
        _request(tenant)
        _submitted(tenant, tenant.site)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert len(inbox.site_items(tenant.coordinator)) == 12
        assert len(inbox.cro_items(tenant.pm)) == 12
