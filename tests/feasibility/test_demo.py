import pytest
from django.utils import timezone

from dashboards.demo import demo_seed
from feasibility import demo, prefill, selectors
from feasibility.models import FeasibilityRequest
from tests.factories.feasibility import ensure_standard_questions

pytestmark = pytest.mark.django_db


def test_demo_seed_is_idempotent_and_gives_each_side_something_to_see():
    ensure_standard_questions()
    summary = demo_seed()  # the whole demo, feasibility included
    assert summary.created["requests"] == 3 and summary.created["answers"] > 0
    assert sum(demo.seed(today=timezone.localdate()).values()) == 0

    from accounts.models import User

    coordinator = User.objects.get(email="coordinator@lakeside.example")
    open_request = FeasibilityRequest.objects.get(site__name__startswith="Lakeside", status="sent")
    items = selectors.questionnaire_items(questionnaire=open_request.questionnaire)
    offered = prefill.suggestions(request=open_request, items=items)
    sources = {o.source for o in offered.values()}
    assert sources == {"profile", "previous"}  # the profile and Lakeside's answers to Apex
    assert selectors.site_requests_due(actor=coordinator)
    pm = User.objects.get(email="pm@meridian.example")
    assert [r.site.name for r in selectors.cro_responses_to_review(actor=pm)] == [
        "Riverbend Medical Center (demo)"
    ]
