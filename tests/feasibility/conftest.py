import datetime as dt

import pytest
from django.utils import timezone

from feasibility import services
from tests.factories import SiteOrganizationFactory, SiteProfileFactory, member
from tests.factories.feasibility import ensure_standard_questions, standard_question


@pytest.fixture(autouse=True)
def _standard_questions(db):
    """The data migration's questions (a transactional browser test may have flushed them)."""
    ensure_standard_questions()


@pytest.fixture
def candidate(tenant):
    """A research site not yet in the tenant's study, with a profile and a coordinator."""
    from accounts.models import Role

    site = SiteOrganizationFactory(name="Candidate Hospital")
    SiteProfileFactory(
        organization=site,
        capabilities=["pharmacy", "imaging"],
        patient_population=12000,
        staff_count=9,
    )
    return {
        "site": site,
        "coordinator": member(site, Role.COORDINATOR, full_name="Casey Candidate"),
        "site_admin": member(site, Role.SITE_ADMIN, full_name="Sam Siteadmin"),
    }


@pytest.fixture
def questionnaire(tenant):
    """A questionnaire of the tenant's study with scored standard questions."""
    q = services.questionnaire_create(
        actor=tenant.pm, study=tenant.study, title="Heart failure feasibility"
    )
    services.questionnaire_item_add(
        actor=tenant.pm,
        questionnaire=q,
        question=standard_question("investigational-pharmacy"),
        weight=20,
        rule={"expect": "yes"},
    )
    services.questionnaire_item_add(
        actor=tenant.pm,
        questionnaire=q,
        question=standard_question("freezer-minus-80"),
        weight=10,
        rule={"expect": "yes"},
    )
    services.questionnaire_item_add(
        actor=tenant.pm,
        questionnaire=q,
        question=standard_question("patients-seen-per-year"),
        weight=30,
        rule={"min": "10000"},
    )
    services.questionnaire_item_add(
        actor=tenant.pm,
        questionnaire=q,
        question=standard_question("irb-type"),
        weight=40,
        rule={"points": {"Local": 100, "Central": 50}},
    )
    services.questionnaire_item_add(
        actor=tenant.pm,
        questionnaire=q,
        question=standard_question("active-studies"),
        required=False,
    )
    return q


@pytest.fixture
def sent(tenant, questionnaire, candidate):
    [request] = services.questionnaire_send(
        actor=tenant.pm,
        questionnaire=questionnaire,
        sites=[candidate["site"]],
        due_date=timezone.localdate() + dt.timedelta(days=10),
    )
    return request


def items_by_key(questionnaire) -> dict[str, int]:
    return {i.question.key: i.pk for i in questionnaire.items.select_related("question")}
