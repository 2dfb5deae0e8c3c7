import datetime as dt

import pytest
from django.core import mail
from django.http import Http404
from django.utils import timezone

from accounts.models import Role
from core.exceptions import ApplicationError, PermissionDenied, TransitionNotAllowed
from core.models import Notification
from feasibility import selectors, services
from feasibility.models import AnswerSource, RequestStatus
from tests.factories import CROFactory, StudyFactory, member
from tests.feasibility.conftest import items_by_key
from trials.models import StudySite, StudySiteStatus

pytestmark = pytest.mark.django_db


def _answer_all(request, questionnaire, actor, submit=True, irb="Local"):
    keys = items_by_key(questionnaire)
    return services.feasibility_request_answer(
        actor=actor,
        request=request,
        answers={
            keys["investigational-pharmacy"]: "yes",
            keys["freezer-minus-80"]: "no",
            keys["patients-seen-per-year"]: "12000",
            keys["irb-type"]: irb,
        },
        submit=submit,
    )


def test_sending_tells_the_site_people_and_freezes_the_questions(
    tenant, questionnaire, candidate, sent
):
    assert sent.status == RequestStatus.SENT
    told = set(
        Notification.objects.filter(kind="feasibility_request").values_list(
            "recipient__email", flat=True
        )
    )
    assert told == {candidate["coordinator"].email, candidate["site_admin"].email}
    questionnaire.refresh_from_db()
    assert questionnaire.status == "sent"
    from tests.factories.feasibility import standard_question

    with pytest.raises(TransitionNotAllowed):
        services.questionnaire_item_add(
            actor=tenant.pm,
            questionnaire=questionnaire,
            question=standard_question("research-staff"),
        )


def test_sending_refuses_past_due_dates_and_sites_already_asked(
    tenant, questionnaire, candidate, sent
):
    with pytest.raises(ApplicationError) as err:
        services.questionnaire_send(
            actor=tenant.pm,
            questionnaire=questionnaire,
            sites=[candidate["site"]],
            due_date=timezone.localdate(),
        )
    assert "due_date" in err.value.fields
    with pytest.raises(ApplicationError) as err:
        services.questionnaire_send(
            actor=tenant.pm,
            questionnaire=questionnaire,
            sites=[candidate["site"], tenant.site],
            due_date=timezone.localdate() + dt.timedelta(days=5),
        )
    assert "Candidate Hospital" in err.value.message and tenant.site.name in err.value.message


def test_only_managers_build_and_send(tenant, questionnaire, candidate):
    for outsider in (tenant.cra, tenant.finance, tenant.coordinator, tenant.sponsor_viewer):
        with pytest.raises(PermissionDenied):
            services.questionnaire_create(actor=outsider, study=tenant.study, title="x")
        with pytest.raises(PermissionDenied):
            services.questionnaire_send(
                actor=outsider,
                questionnaire=questionnaire,
                sites=[candidate["site"]],
                due_date=timezone.localdate() + dt.timedelta(days=3),
            )
    assert services.questionnaire_create(actor=tenant.cro_admin, study=tenant.study, title="ok")


def test_draft_then_submit_scores_with_breakdown_and_tells_the_pm(
    tenant, questionnaire, candidate, sent
):
    draft = services.feasibility_request_answer(
        actor=candidate["coordinator"],
        request=sent,
        answers={items_by_key(questionnaire)["irb-type"]: "Central"},
    )
    assert draft.status == RequestStatus.IN_PROGRESS
    # Drafts stay the site's: the CRO sees no answers before submission.
    compared = selectors.comparison(actor=tenant.pm, questionnaire=questionnaire)
    assert compared.cards == {}

    submitted = _answer_all(sent, questionnaire, candidate["coordinator"], irb="Central")
    assert submitted.status == RequestStatus.SUBMITTED
    # pharmacy 20 + freezer 0 + patients 30 + IRB central 50% of 40 = 70 of 100
    assert (submitted.score_points, submitted.score_max) == (70, 100)
    compared = selectors.comparison(actor=tenant.pm, questionnaire=questionnaire)
    card = compared.cards[sent.pk]
    assert [str(r.score.points) for r in card.rows] == ["20.00", "0.00", "30.00", "20.00", "0.00"]
    assert Notification.objects.filter(recipient=tenant.pm, kind="feasibility_submitted").exists()
    with pytest.raises(TransitionNotAllowed):
        _answer_all(sent, questionnaire, candidate["coordinator"])


def test_submit_requires_required_answers(tenant, questionnaire, candidate, sent):
    keys = items_by_key(questionnaire)
    with pytest.raises(ApplicationError) as err:
        services.feasibility_request_answer(
            actor=candidate["coordinator"],
            request=sent,
            answers={keys["investigational-pharmacy"]: "yes"},
            submit=True,
        )
    assert f"item_{keys['irb-type']}" in err.value.fields
    assert f"item_{keys['active-studies']}" not in err.value.fields  # optional
    sent.refresh_from_db()
    assert sent.status == RequestStatus.SENT
    assert not sent.answers.exists()


def test_cro_people_cannot_answer_and_site_people_cannot_decide(
    tenant, questionnaire, candidate, sent
):
    with pytest.raises(PermissionDenied):
        _answer_all(sent, questionnaire, tenant.pm)
    _answer_all(sent, questionnaire, candidate["coordinator"])
    with pytest.raises(PermissionDenied):
        services.feasibility_request_select(
            actor=candidate["coordinator"], request=sent, site_number="201"
        )
    with pytest.raises(PermissionDenied):
        services.feasibility_request_decline(actor=tenant.cra, request=sent, reason="no")


def test_prefill_from_profile_and_from_answers_to_another_cro(
    tenant, questionnaire, candidate, sent
):
    _answer_all(sent, questionnaire, candidate["coordinator"], irb="Both")
    # A second CRO asks the same site the same standard questions.
    other_cro = CROFactory(name="Second CRO")
    other_pm = member(other_cro, Role.PROJECT_MANAGER)
    study = StudyFactory(cro=other_cro)
    from tests.factories.feasibility import standard_question

    q2 = services.questionnaire_create(actor=other_pm, study=study, title="Round two")
    for key in ("irb-type", "investigational-pharmacy", "freezer-minus-80", "research-staff"):
        services.questionnaire_item_add(
            actor=other_pm, questionnaire=q2, question=standard_question(key)
        )
    services.questionnaire_item_add(
        actor=other_pm,
        questionnaire=q2,
        question=standard_question("patients-with-condition-per-year"),
    )
    [r2] = services.questionnaire_send(
        actor=other_pm,
        questionnaire=q2,
        sites=[candidate["site"]],
        due_date=timezone.localdate() + dt.timedelta(days=7),
    )
    from feasibility import prefill

    items = selectors.questionnaire_items(questionnaire=q2)
    offered = {
        i.question.key: prefill.suggestions(request=r2, items=items).get(i.pk) for i in items
    }
    assert offered["irb-type"].value == "Both" and offered["irb-type"].source == "previous"
    assert "Alpha CRO" in offered["irb-type"].label
    assert offered["investigational-pharmacy"].value == "yes"  # profile capability
    assert offered["investigational-pharmacy"].source == "profile"
    assert offered["freezer-minus-80"].value == "no"  # profile says no freezer
    assert offered["research-staff"].value == "9"
    assert offered["patients-with-condition-per-year"] is None  # study-specific: never reused

    # Saving the offered values keeps their origin on the answers.
    keys = items_by_key(q2)
    services.feasibility_request_answer(
        actor=candidate["coordinator"],
        request=r2,
        answers={
            keys["irb-type"]: "Both",
            keys["investigational-pharmacy"]: "yes",
            keys["freezer-minus-80"]: "yes",
        },
    )
    sources = {a.key: a.source for a in r2.answers.all()}
    assert sources == {
        "irb-type": AnswerSource.PREVIOUS,
        "investigational-pharmacy": AnswerSource.PROFILE,
        "freezer-minus-80": AnswerSource.ENTERED,  # changed from the offered "no"
    }


def test_prefill_never_uses_another_sites_answers(tenant, questionnaire, candidate, sent):
    _answer_all(sent, questionnaire, candidate["coordinator"], irb="Local")
    [other] = services.questionnaire_send(
        actor=tenant.pm,
        questionnaire=questionnaire,
        sites=[__import__("tests.factories", fromlist=["x"]).SiteOrganizationFactory()],
        due_date=timezone.localdate() + dt.timedelta(days=7),
    )
    from feasibility import prefill

    items = selectors.questionnaire_items(questionnaire=questionnaire)
    assert prefill.suggestions(request=other, items=items) == {}


def test_select_creates_the_study_site_as_selected_and_tells_the_site(
    tenant, questionnaire, candidate, sent
):
    _answer_all(sent, questionnaire, candidate["coordinator"])
    services.feasibility_request_shortlist(actor=tenant.pm, request=sent)
    chosen = services.feasibility_request_select(
        actor=tenant.pm, request=sent, site_number="201", reason="Best score"
    )
    study_site = StudySite.objects.get(study=tenant.study, site=candidate["site"])
    assert study_site.status == StudySiteStatus.SELECTED
    assert study_site.site_number == "201"
    assert chosen.study_site == study_site and chosen.status == RequestStatus.SELECTED
    assert Notification.objects.filter(
        recipient=candidate["coordinator"], kind="feasibility_selected"
    ).exists()
    with pytest.raises(TransitionNotAllowed):
        services.feasibility_request_decline(actor=tenant.pm, request=sent, reason="changed mind")


def test_select_with_a_taken_site_number_changes_nothing(tenant, questionnaire, candidate, sent):
    _answer_all(sent, questionnaire, candidate["coordinator"])
    with pytest.raises(ApplicationError):
        services.feasibility_request_select(actor=tenant.pm, request=sent, site_number="101")
    sent.refresh_from_db()
    assert sent.status == RequestStatus.SUBMITTED
    assert not StudySite.objects.filter(site=candidate["site"]).exists()


def test_decline_needs_a_reason_and_thanks_the_site_politely(
    tenant, questionnaire, candidate, sent
):
    _answer_all(sent, questionnaire, candidate["coordinator"])
    with pytest.raises(ApplicationError):
        services.feasibility_request_decline(actor=tenant.pm, request=sent, reason=" ")
    mail.outbox.clear()
    services.feasibility_request_decline(
        actor=tenant.pm, request=sent, reason="Too few patients", message="Do apply again."
    )
    note = Notification.objects.get(recipient=candidate["coordinator"], kind="feasibility_declined")
    assert "Thank you" in note.body and "Do apply again." in note.body
    assert "Too few patients" not in note.body  # the internal reason stays internal


def test_reminders_3_and_1_days_before_once_each(tenant, questionnaire, candidate, sent):
    due = sent.due_date
    assert services.feasibility_reminders_send(today=due - dt.timedelta(days=5)) == 0
    assert services.feasibility_reminders_send(today=due - dt.timedelta(days=3)) == 2
    assert services.feasibility_reminders_send(today=due - dt.timedelta(days=3)) == 0
    assert services.feasibility_reminders_send(today=due - dt.timedelta(days=1)) == 2
    assert services.feasibility_reminders_send(today=due - dt.timedelta(days=1)) == 0
    titles = set(
        Notification.objects.filter(
            recipient=candidate["coordinator"], kind="feasibility_due"
        ).values_list("title", flat=True)
    )
    assert titles == {
        f"Feasibility for {tenant.study.protocol_number} due in 3 days",
        f"Feasibility for {tenant.study.protocol_number} due in 1 day",
    }
    # A submitted request is not reminded.
    _answer_all(sent, questionnaire, candidate["coordinator"])
    Notification.objects.filter(kind="feasibility_due").delete()
    assert services.feasibility_reminders_send(today=due - dt.timedelta(days=1)) == 0


def test_reminder_task_runs_the_sweep(tenant, questionnaire, candidate, sent):
    import time_machine

    from feasibility.tasks import feasibility_due_reminders

    with time_machine.travel(
        dt.datetime.combine(sent.due_date - dt.timedelta(days=3), dt.time(12))
    ):
        assert feasibility_due_reminders.delay().get() == 2
        assert feasibility_due_reminders.delay().get() == 0


def test_tenancy_of_selectors(tenant, other_tenant, questionnaire, candidate, sent):
    _answer_all(sent, questionnaire, candidate["coordinator"])
    # The CRO side and the asked site see it; nobody else does.
    for insider in (tenant.pm, tenant.cro_admin, candidate["coordinator"]):
        assert selectors.request_get(actor=insider, feasibility_request_id=sent.pk)
    for outsider in (
        other_tenant.pm,
        other_tenant.coordinator,
        other_tenant.cro_admin,
        tenant.coordinator,  # the tenant's own study site, but not the asked site
        tenant.sponsor_viewer,
        tenant.finance,
        tenant.cra,
    ):
        with pytest.raises(Http404):
            selectors.request_get(actor=outsider, feasibility_request_id=sent.pk)
        assert not selectors.request_list(actor=outsider).filter(pk=sent.pk).exists()
    with pytest.raises(Http404):
        selectors.questionnaire_get(actor=other_tenant.pm, questionnaire_id=questionnaire.pk)
    with pytest.raises(Http404):
        selectors.questionnaire_get(
            actor=candidate["coordinator"], questionnaire_id=questionnaire.pk
        )
