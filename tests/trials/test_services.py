import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import Role
from core.exceptions import ApplicationError, PermissionDenied
from tests.factories import SiteOrganizationFactory, SponsorFactory, member
from trials import services
from trials.models import (
    STUDY_SITE_TRANSITIONS,
    Study,
    StudySite,
    StudySiteStatus,
    StudyTeamMember,
    TeamRole,
)


@pytest.mark.django_db
def test_pm_creates_a_study_and_leads_it(tenant):
    study = services.study_create(
        actor=tenant.pm,
        cro=tenant.cro,
        sponsor=tenant.sponsor,
        protocol_number="ALPHA-777",
        title="New study",
        phase="3",
        therapeutic_area="Oncology",
        currency="eur",
    )
    assert study.currency == "EUR"
    assert StudyTeamMember.objects.get(study=study).role == TeamRole.LEAD


@pytest.mark.django_db
def test_protocol_number_is_unique_per_cro_only(tenant, other_tenant):
    kwargs = dict(title="T", phase="2", therapeutic_area="X", currency="USD")
    with pytest.raises(ApplicationError) as error:
        services.study_create(
            actor=tenant.pm,
            cro=tenant.cro,
            sponsor=tenant.sponsor,
            protocol_number=tenant.study.protocol_number,
            **kwargs,
        )
    assert "protocol_number" in error.value.fields
    # Another CRO may use the same protocol number.
    services.study_create(
        actor=other_tenant.pm,
        cro=other_tenant.cro,
        sponsor=other_tenant.sponsor,
        protocol_number=tenant.study.protocol_number,
        **kwargs,
    )


@pytest.mark.django_db
def test_bad_study_input_names_every_field_and_saves_nothing(tenant):
    before = Study.objects.count()
    with pytest.raises(ApplicationError) as error:
        services.study_create(
            actor=tenant.pm,
            cro=tenant.cro,
            sponsor=SiteOrganizationFactory(),
            protocol_number=" ",
            title="",
            phase="9",
            therapeutic_area="X",
            currency="dollars",
            planned_sites=-1,
        )
    assert set(error.value.fields) >= {
        "protocol_number",
        "title",
        "phase",
        "currency",
        "sponsor",
        "planned_sites",
    }
    assert Study.objects.count() == before


@pytest.mark.django_db
def test_only_cro_managers_create_studies(tenant):
    for user in (tenant.cra, tenant.finance, tenant.coordinator, tenant.sponsor_viewer):
        with pytest.raises(PermissionDenied):
            services.study_create(
                actor=user,
                cro=tenant.cro,
                sponsor=SponsorFactory(),
                protocol_number="X-1",
                title="T",
                phase="1",
                therapeutic_area="X",
                currency="USD",
            )


@pytest.mark.django_db
def test_study_site_add_refuses_duplicates_and_non_sites(tenant):
    with pytest.raises(ApplicationError) as error:
        services.study_site_add(
            actor=tenant.pm, study=tenant.study, site=SiteOrganizationFactory(), site_number="101"
        )
    assert "site_number" in error.value.fields
    with pytest.raises(ApplicationError) as error:
        services.study_site_add(
            actor=tenant.pm, study=tenant.study, site=tenant.sponsor, site_number="999"
        )
    assert "site" in error.value.fields


@pytest.mark.django_db
def test_pi_must_be_an_investigator_of_the_site(tenant):
    new_site = SiteOrganizationFactory()
    with pytest.raises(ApplicationError) as error:
        services.study_site_add(
            actor=tenant.pm,
            study=tenant.study,
            site=new_site,
            site_number="303",
            principal_investigator=tenant.investigator,  # investigator of another site
        )
    assert "principal_investigator" in error.value.fields
    pi = member(new_site, Role.INVESTIGATOR)
    study_site = services.study_site_add(
        actor=tenant.pm,
        study=tenant.study,
        site=new_site,
        site_number="303",
        principal_investigator=pi,
    )
    assert study_site.status == StudySiteStatus.CANDIDATE


@pytest.mark.django_db
def test_study_site_moves_only_along_allowed_transitions(tenant, without_checklists):
    with pytest.raises(ApplicationError):
        services.study_site_transition(
            actor=tenant.pm, study_site=tenant.study_site, to_status=StudySiteStatus.ENROLLING
        )
    for status in ("selected", "contracted", "activated", "enrolling", "closed"):
        services.study_site_transition(
            actor=tenant.pm, study_site=tenant.study_site, to_status=status
        )
    tenant.study_site.refresh_from_db()
    assert tenant.study_site.status == "closed"
    with pytest.raises(ApplicationError):
        services.study_site_transition(
            actor=tenant.pm, study_site=tenant.study_site, to_status="enrolling"
        )


@pytest.mark.django_db
def test_site_and_cra_cannot_change_site_status(tenant):
    for user in (tenant.coordinator, tenant.cra, tenant.sponsor_viewer):
        with pytest.raises(PermissionDenied):
            services.study_site_transition(
                actor=user, study_site=tenant.study_site, to_status="selected"
            )


@pytest.mark.django_db
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(path=st.lists(st.sampled_from(StudySiteStatus.values), max_size=8))
def test_any_sequence_of_requests_follows_the_state_machine(tenant, without_checklists, path):
    study_site = StudySite.objects.get(pk=tenant.study_site.pk)
    StudySite.objects.filter(pk=study_site.pk).update(status="candidate")
    current = "candidate"
    for wanted in path:
        allowed = wanted in STUDY_SITE_TRANSITIONS[current]
        try:
            services.study_site_transition(actor=tenant.pm, study_site=study_site, to_status=wanted)
        except ApplicationError:
            assert not allowed
        else:
            assert allowed
            current = wanted
        assert StudySite.objects.get(pk=study_site.pk).status == current


@pytest.mark.django_db
def test_assign_cra_requires_a_cra_of_the_study_cro(tenant, other_tenant):
    with pytest.raises(ApplicationError):
        services.study_site_assign_cra(
            actor=tenant.pm, study_site=tenant.study_site, cra=other_tenant.cra
        )
    new_cra = member(tenant.cro, Role.CRA)
    services.study_site_assign_cra(actor=tenant.pm, study_site=tenant.study_site, cra=new_cra)
    assert new_cra in tenant.study_site.assigned_cras.all()


@pytest.mark.django_db
def test_visit_definition_rules(tenant):
    with pytest.raises(ApplicationError):
        services.visit_definition_add(
            actor=tenant.pm, study=tenant.study, code="SCR", name="Again", day_offset=0
        )
    with pytest.raises(ApplicationError):
        services.visit_definition_add(
            actor=tenant.pm,
            study=tenant.study,
            code="W2",
            name="Week 2",
            day_offset=14,
            window_before=-1,
        )
    visit = services.visit_definition_add(
        actor=tenant.pm, study=tenant.study, code="W2", name="Week 2", day_offset=14, window_after=3
    )
    assert visit.order == 2


@pytest.mark.django_db
def test_milestone_is_recorded_once_and_published_once(tenant, django_capture_on_commit_callbacks):
    import datetime as dt

    from core.events import subscribe

    heard = []

    def listener(**payload):
        heard.append(payload)

    subscribe("milestone.reached", listener)
    day = dt.date(2026, 3, 2)
    with django_capture_on_commit_callbacks(execute=True):
        first = services.milestone_record(
            actor=tenant.cra, study_site=tenant.study_site, kind="siv", actual_date=day
        )
        services.milestone_record(
            actor=tenant.cra, study_site=tenant.study_site, kind="siv", actual_date=day
        )
    assert heard == [{"milestone_id": first.pk}]
    with pytest.raises(ApplicationError):  # a correction needs a reason
        services.milestone_record(
            actor=tenant.cra,
            study_site=tenant.study_site,
            kind="siv",
            actual_date=dt.date(2026, 3, 3),
        )
    with pytest.raises(PermissionDenied):
        services.milestone_record(
            actor=tenant.coordinator, study_site=tenant.study_site, kind="cov", actual_date=day
        )
    with pytest.raises(ApplicationError):
        services.milestone_record(
            actor=tenant.cra,
            study_site=tenant.study_site,
            kind="cov",
            actual_date=dt.date(2999, 1, 1),
        )


@pytest.mark.django_db
def test_activation_waits_for_the_checklist_unless_a_lead_overrides(
    tenant, without_checklists, checklist_item
):
    from pghistory.models import Events

    checklist_item("activation", "agreement", "Clinical trial agreement signed")
    for status in ("selected", "contracted"):
        services.study_site_transition(
            actor=tenant.pm, study_site=tenant.study_site, to_status=status
        )
    with pytest.raises(ApplicationError) as error:
        services.study_site_transition(
            actor=tenant.pm, study_site=tenant.study_site, to_status="activated"
        )
    assert "Clinical trial agreement signed" in error.value.message
    with pytest.raises(ApplicationError):  # an override needs a reason
        services.study_site_transition(
            actor=tenant.pm, study_site=tenant.study_site, to_status="activated", override=True
        )
    with pytest.raises(PermissionDenied):  # a CRO admin who does not lead the study
        services.study_site_transition(
            actor=tenant.cro_admin,
            study_site=tenant.study_site,
            to_status="activated",
            override=True,
            reason="Sponsor instruction",
        )
    services.study_site_transition(
        actor=tenant.pm,
        study_site=tenant.study_site,
        to_status="activated",
        override=True,
        reason="Agreement signed on paper, upload pending",
    )
    event = Events.objects.tracks(tenant.study_site).order_by("-pgh_created_at").first()
    assert event.pgh_context["reason"].startswith("Override of open checklist items (agreement)")
    assert "upload pending" in event.pgh_context["reason"]


@pytest.mark.django_db
def test_green_checklist_lets_the_site_activate(tenant, without_checklists, checklist_item):
    checklist_item("activation", "irb", "IRB approval current", done=True)
    for status in ("selected", "contracted", "activated"):
        services.study_site_transition(
            actor=tenant.pm, study_site=tenant.study_site, to_status=status
        )
    tenant.study_site.refresh_from_db()
    assert tenant.study_site.status == "activated"


@pytest.mark.django_db
def test_dropping_a_candidate_needs_no_close_out_checklist(
    tenant, without_checklists, checklist_item
):
    checklist_item("close_out", "x", "Never done")
    services.study_site_transition(
        actor=tenant.pm, study_site=tenant.study_site, to_status="closed"
    )
    tenant.study_site.refresh_from_db()
    assert tenant.study_site.status == "closed"


@pytest.mark.django_db
def test_closing_a_site_that_ran_waits_for_the_close_out_checklist(
    tenant, without_checklists, checklist_item
):
    checklist_item("close_out", "queries", "All queries closed", done=False)
    checklist_item("close_out", "cov", "Close-out visit completed", done=True)
    StudySite.objects.filter(pk=tenant.study_site.pk).update(status="enrolling")
    with pytest.raises(ApplicationError) as error:
        services.study_site_transition(
            actor=tenant.pm, study_site=tenant.study_site, to_status="closed"
        )
    assert "All queries closed" in error.value.message
    assert "Close-out visit completed" not in error.value.message
    assert StudySite.objects.get(pk=tenant.study_site.pk).status == "enrolling"
