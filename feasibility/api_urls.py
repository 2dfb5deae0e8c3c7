from rest_framework.routers import SimpleRouter

from feasibility.api import (
    FeasibilityQuestionViewSet,
    FeasibilityRequestViewSet,
    QuestionnaireViewSet,
)

router = SimpleRouter(trailing_slash=True)
router.register(
    "feasibility-questions", FeasibilityQuestionViewSet, basename="api_feasibility_question"
)
router.register(
    "feasibility-questionnaires", QuestionnaireViewSet, basename="api_feasibility_questionnaire"
)
router.register(
    "feasibility-requests", FeasibilityRequestViewSet, basename="api_feasibility_request"
)

urlpatterns = router.urls
