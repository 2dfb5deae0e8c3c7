"""The access rule of DESIGN.md section 4, role by role."""

import pytest
from django.http import Http404

from accounts.models import Role
from tests.factories import (
    CRAAssignmentFactory,
    StudySiteFactory,
    StudyTeamMemberFactory,
    SubjectFactory,
    member,
)
from trials import access
from trials.models import Subject, TeamRole


@pytest.mark.django_db
def test_site_users_see_their_study_sites_across_cros(tenant, other_tenant):
    # Alpha's site also takes part in Beta's study: its coordinator sees both CROs' work.
    shared = StudySiteFactory(study=other_tenant.study, site=tenant.site, site_number="202")
    visible = set(access.visible_study_sites(tenant.coordinator))
    assert visible == {tenant.study_site, shared}
    assert set(access.visible_studies(tenant.coordinator)) == {tenant.study, other_tenant.study}


@pytest.mark.django_db
def test_cro_wide_roles_see_all_their_cros_study_sites_and_nothing_else(tenant, other_tenant):
    second = StudySiteFactory(study=tenant.study)
    for user in (tenant.pm, tenant.finance, tenant.cro_admin):
        assert set(access.visible_study_sites(user)) == {tenant.study_site, second}


@pytest.mark.django_db
def test_cra_sees_only_assigned_study_sites(tenant):
    unassigned = StudySiteFactory(study=tenant.study)
    assert set(access.visible_study_sites(tenant.cra)) == {tenant.study_site}
    assert unassigned not in access.visible_study_sites(tenant.cra)


@pytest.mark.django_db
def test_cra_who_leads_the_study_sees_all_its_sites(tenant):
    unassigned = StudySiteFactory(study=tenant.study)
    lead_cra = member(tenant.cro, Role.CRA)
    StudyTeamMemberFactory(study=tenant.study, user=lead_cra, role=TeamRole.LEAD)
    assert set(access.visible_study_sites(lead_cra)) == {tenant.study_site, unassigned}


@pytest.mark.django_db
def test_cra_assignment_at_another_cro_grants_nothing(tenant, other_tenant):
    # An assignment row pointing at a foreign CRO's site (bad data) must not open it.
    CRAAssignmentFactory(study_site=other_tenant.study_site, cra=tenant.cra)
    assert other_tenant.study_site not in access.visible_study_sites(tenant.cra)


@pytest.mark.django_db
def test_sponsor_viewer_sees_sponsored_study_sites_read_only(tenant, other_tenant):
    assert set(access.visible_study_sites(tenant.sponsor_viewer)) == {tenant.study_site}
    assert access.is_read_only(tenant.sponsor_viewer)
    assert not access.is_read_only(tenant.pm)
    roles = access.study_site_roles(tenant.sponsor_viewer, tenant.study_site)
    assert roles == {Role.VIEWER}
    assert not access.allowed("study_site.manage", roles)


@pytest.mark.django_db
def test_user_without_membership_sees_nothing(tenant):
    from tests.factories import UserFactory

    nobody = UserFactory()
    assert not access.visible_study_sites(nobody).exists()
    assert not access.visible_studies(nobody).exists()


@pytest.mark.django_db
def test_inactive_membership_grants_nothing(tenant):
    tenant.coordinator.memberships.update(is_active=False)
    tenant.coordinator._organization_roles = None
    assert not access.visible_study_sites(tenant.coordinator).exists()


@pytest.mark.django_db
def test_scope_and_get_visible_or_404_for_children(tenant, other_tenant):
    foreign_subject = other_tenant.subject
    assert list(access.scope(Subject.objects.all(), tenant.coordinator)) == [tenant.subject]
    assert access.get_visible_or_404(Subject.objects.all(), tenant.coordinator, tenant.subject.pk)
    with pytest.raises(Http404):
        access.get_visible_or_404(Subject.objects.all(), tenant.coordinator, foreign_subject.pk)
    with pytest.raises(Http404):
        access.get_visible_or_404(Subject.objects.all(), tenant.coordinator, 10**9)
    with pytest.raises(Http404):
        access.get_visible_or_404(Subject.objects.all(), tenant.coordinator, "not-a-number")


@pytest.mark.django_db
def test_visible_study_sites_is_one_query(tenant, django_assert_num_queries):
    SubjectFactory(study_site=tenant.study_site)
    user = tenant.cra
    user._organization_roles = None
    with django_assert_num_queries(2):  # memberships (cached afterwards) + the rule itself
        list(access.visible_study_sites(user))
    with django_assert_num_queries(1):
        list(access.visible_study_sites(user))


@pytest.mark.django_db
def test_roles_per_study_site(tenant):
    assert Role.COORDINATOR in access.study_site_roles(tenant.coordinator, tenant.study_site)
    assert Role.CRA in access.study_site_roles(tenant.cra, tenant.study_site)
    pm_roles = access.study_site_roles(tenant.pm, tenant.study_site)
    assert {Role.PROJECT_MANAGER, access.LEAD} <= pm_roles
    assert access.allowed("study_site.manage", pm_roles)
    assert not access.allowed(
        "study_site.manage", access.study_site_roles(tenant.coordinator, tenant.study_site)
    )


@pytest.mark.django_db
def test_a_closed_study_site_is_read_only(tenant):
    from core.exceptions import RecordLocked

    access.require_open(tenant.study_site)  # open: nothing happens
    tenant.study_site.status = "closed"
    with pytest.raises(RecordLocked) as error:
        access.require_open(tenant.study_site)
    assert error.value.code == "read_only"
