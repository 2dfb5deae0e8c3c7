import datetime as dt

import pytest
import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import Role
from core.exceptions import ApplicationError, PermissionDenied, TransitionNotAllowed
from queries import services
from queries.models import (
    DATA_QUERY_TRANSITIONS,
    DataQuery,
    DataQueryStatus,
    QueryMessage,
    aging_from_thread,
)
from tests.factories import SubjectVisitFactory, VisitDefinitionFactory, member

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def _raise(actor, tenant, **overrides):
    fields = {
        "subject": tenant.subject,
        "form_name": "Vital signs",
        "field_name": "Weight",
        "text": "Weight 7 kg looks wrong; please check the source.",
    }
    return services.data_query_raise(actor=actor, **{**fields, **overrides})


def test_assigned_cra_raises_an_open_query_waiting_on_the_site(tenant):
    query = _raise(tenant.cra, tenant, subject_visit=tenant.subject_visit)

    assert query.status == DataQueryStatus.OPEN
    assert query.waiting_on == "site"
    assert query.study_site == tenant.study_site and query.study == tenant.study
    assert [(m.action, m.author, m.text) for m in query.messages.all()] == [
        ("raise", tenant.cra, "Weight 7 kg looks wrong; please check the source.")
    ]


def test_data_manager_of_the_cro_raises_too(tenant, data_manager):
    assert _raise(data_manager, tenant).raised_by == data_manager


@pytest.mark.parametrize(
    "who", ["coordinator", "investigator", "site_admin", "sponsor_viewer", "finance", "pm"]
)
def test_others_cannot_raise_and_nothing_is_written(tenant, who):
    with pytest.raises(PermissionDenied):
        _raise(getattr(tenant, who), tenant)
    assert not DataQuery.objects.exists() and not QueryMessage.objects.exists()


def test_a_cra_not_assigned_to_the_site_cannot_raise(tenant):
    stranger = member(tenant.cro, Role.CRA)
    with pytest.raises(PermissionDenied):
        _raise(stranger, tenant)


def test_bad_input_is_refused_field_by_field(tenant, other_tenant):
    with pytest.raises(ApplicationError) as error:
        _raise(
            tenant.cra, tenant, text="  ", form_name="", subject_visit=other_tenant.subject_visit
        )
    assert set(error.value.fields) == {"text", "form_name", "subject_visit"}
    assert not DataQuery.objects.exists()


def test_the_full_conversation_is_kept_in_the_thread(tenant, query, data_manager):
    services.data_query_answer(actor=tenant.coordinator, data_query=query, text="Typo: 130.")
    services.data_query_reopen(
        actor=tenant.cra, data_query=query, text="The source says 103; please correct."
    )
    services.data_query_answer(actor=tenant.investigator, data_query=query, text="Now 103.")
    closed = services.data_query_close(actor=data_manager, data_query=query, text="")

    assert closed.status == DataQueryStatus.CLOSED and closed.resolved_at is not None
    thread = list(closed.messages.order_by("created_at", "pk"))
    assert [(m.action, m.from_status, m.to_status) for m in thread] == [
        ("raise", "", "open"),
        ("answer", "open", "answered"),
        ("reopen", "answered", "reopened"),
        ("answer", "reopened", "answered"),
        ("close", "answered", "closed"),
    ]
    assert [m.author for m in thread] == [
        tenant.cra,
        tenant.coordinator,
        tenant.cra,
        tenant.investigator,
        data_manager,
    ]


ALLOWED = {
    "answer": {"coordinator", "investigator", "site_admin"},
    "close": {"cra", "pm", "data_manager"},
    "reopen": {"cra", "pm", "data_manager"},
    "cancel": {"cra", "pm", "data_manager"},
}
EVERYONE = [
    "coordinator",
    "investigator",
    "site_admin",
    "cra",
    "pm",
    "data_manager",
    "finance",
    "cro_admin",
    "sponsor_viewer",
]
SERVICES = {
    "answer": services.data_query_answer,
    "close": services.data_query_close,
    "reopen": services.data_query_reopen,
    "cancel": services.data_query_cancel,
}


@pytest.mark.parametrize("action", sorted(ALLOWED))
@pytest.mark.parametrize("who", EVERYONE)
def test_every_transition_by_role(tenant, query, data_manager, action, who):
    if action in ("close", "reopen"):
        services.data_query_answer(actor=tenant.coordinator, data_query=query, text="Done.")
    actor = data_manager if who == "data_manager" else getattr(tenant, who)
    before = DataQuery.objects.get(pk=query.pk).status
    messages_before = QueryMessage.objects.count()

    if who in ALLOWED[action]:
        after = SERVICES[action](actor=actor, data_query=query, text="Because.")
        assert after.status == DATA_QUERY_TRANSITIONS[before][action]
        assert QueryMessage.objects.count() == messages_before + 1
    else:
        with pytest.raises(PermissionDenied):
            SERVICES[action](actor=actor, data_query=query, text="Because.")
        assert DataQuery.objects.get(pk=query.pk).status == before
        assert QueryMessage.objects.count() == messages_before


def test_outsiders_of_another_tenant_are_refused(tenant, other_tenant, query):
    with pytest.raises(PermissionDenied):
        services.data_query_answer(actor=other_tenant.coordinator, data_query=query, text="x")
    with pytest.raises(PermissionDenied):
        services.data_query_cancel(actor=other_tenant.cra, data_query=query, text="x")


@pytest.mark.parametrize(
    ("setup", "who", "action"),
    [
        ([], "cra", "close"),
        ([], "cra", "reopen"),
        (["answer"], "cra", "cancel"),
        (["answer"], "coordinator", "answer"),
        (["answer", "close"], "cra", "reopen"),
        (["answer", "close"], "coordinator", "answer"),
        (["cancel"], "coordinator", "answer"),
    ],
)
def test_refused_transitions_change_nothing(tenant, query, setup, who, action):
    actors = {"answer": tenant.coordinator, "close": tenant.cra, "cancel": tenant.cra}
    for step in setup:
        SERVICES[step](actor=actors[step], data_query=query, text="ok")
    before = DataQuery.objects.values().get(pk=query.pk)
    count = QueryMessage.objects.count()

    with pytest.raises(TransitionNotAllowed):
        SERVICES[action](actor=getattr(tenant, who), data_query=query, text="again")

    assert DataQuery.objects.values().get(pk=query.pk) == before
    assert QueryMessage.objects.count() == count


@pytest.mark.parametrize("action", ["answer", "reopen", "cancel"])
def test_an_empty_message_is_refused_where_one_is_needed(tenant, query, action):
    if action == "reopen":
        services.data_query_answer(actor=tenant.coordinator, data_query=query, text="Done.")
    actor = tenant.coordinator if action == "answer" else tenant.cra
    with pytest.raises(ApplicationError) as error:
        SERVICES[action](actor=actor, data_query=query, text="   ")
    assert "text" in error.value.fields


ACTOR_FOR = {"answer": "coordinator", "close": "cra", "reopen": "cra", "cancel": "cra"}


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=st.lists(st.sampled_from(sorted(ACTOR_FOR)), max_size=8))
def test_the_state_machine_follows_the_transitions_dict(tenant, steps):
    query = _raise(tenant.cra, tenant)
    expected, accepted = DataQueryStatus.OPEN, 1
    for action in steps:
        target = DATA_QUERY_TRANSITIONS[expected].get(action)
        call = SERVICES[action]
        if target is None:
            with pytest.raises(TransitionNotAllowed):
                call(actor=getattr(tenant, ACTOR_FOR[action]), data_query=query, text="t")
        else:
            call(actor=getattr(tenant, ACTOR_FOR[action]), data_query=query, text="t")
            expected, accepted = target, accepted + 1
        query.refresh_from_db()
        assert query.status == expected
        assert query.messages.count() == accepted
        assert (query.resolved_at is not None) == query.is_resolved


def test_aging_splits_the_time_between_site_and_cro(tenant):
    with time_machine.travel(T0, tick=False) as clock:
        query = _raise(tenant.cra, tenant)
        clock.move_to(T0 + dt.timedelta(days=3))
        services.data_query_answer(actor=tenant.coordinator, data_query=query, text="a")
        clock.move_to(T0 + dt.timedelta(days=5))
        services.data_query_reopen(actor=tenant.cra, data_query=query, text="b")
        clock.move_to(T0 + dt.timedelta(days=9, hours=12))
        query.refresh_from_db()
        waiting = query.aging()
        assert (waiting.days_open, waiting.days_waiting_on_site, waiting.days_waiting_on_cro) == (
            9,
            7,
            2,
        )
        assert waiting.waiting_on == "site"
        services.data_query_answer(actor=tenant.coordinator, data_query=query, text="c")
        clock.move_to(T0 + dt.timedelta(days=12))
        services.data_query_close(actor=tenant.cra, data_query=query, text="")
        clock.move_to(T0 + dt.timedelta(days=40))
        query.refresh_from_db()
        done = query.aging()
        # Resolved: the clock stopped on day 12 (site 7.5 days, CRO 4.5 days); waits on nobody.
        assert (done.days_open, done.days_waiting_on_site, done.days_waiting_on_cro) == (12, 7, 4)
        assert done.waiting_on == "nobody"
        # The same split recomputed from the thread's times alone.
        thread = list(query.messages.order_by("created_at", "pk"))
        assert aging_from_thread(thread, T0 + dt.timedelta(days=40)) == (
            done.open_for,
            done.site,
            done.cro,
        )


def test_raise_refuses_an_external_id_used_before(tenant):
    _raise(tenant.cra, tenant, external_id="EDC-1")
    with pytest.raises(ApplicationError) as error:
        _raise(tenant.cra, tenant, external_id="EDC-1")
    assert "external_id" in error.value.fields
    assert DataQuery.objects.count() == 1


def test_a_visit_of_the_subject_can_be_named(tenant):
    definition = VisitDefinitionFactory(study=tenant.study, code="V2")
    visit = SubjectVisitFactory(subject=tenant.subject, definition=definition)
    assert _raise(tenant.cra, tenant, subject_visit=visit).subject_visit == visit
