"""Feasibility objects of a tenant for the access sweep: a questionnaire of the tenant's study,
sent to the tenant's site, answered and submitted."""

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from feasibility.models import (
    Answer,
    FeasibilityAttachment,
    FeasibilityRequest,
    Questionnaire,
    RequestStatus,
)
from tests.factories.feasibility import (
    FeasibilityRequestFactory,
    QuestionFactory,
    QuestionnaireFactory,
    QuestionnaireItemFactory,
)


def _questionnaire(tenant) -> Questionnaire:
    found = Questionnaire.objects.filter(study=tenant.study).first()
    if found:
        return found
    questionnaire = QuestionnaireFactory(
        study=tenant.study,
        created_by=tenant.pm,
        title=f"{tenant.cro.name} secret feasibility",
        status="sent",
    )
    question = QuestionFactory(
        owner=tenant.cro,
        text=f"{tenant.cro.name} private question?",
        key=f"private-{tenant.cro.pk}",
    )
    QuestionnaireItemFactory(questionnaire=questionnaire, question=question)
    return questionnaire


def _request(tenant) -> FeasibilityRequest:
    questionnaire = _questionnaire(tenant)
    found = FeasibilityRequest.objects.filter(questionnaire=questionnaire).first()
    if found:
        return found
    request = FeasibilityRequestFactory(
        questionnaire=questionnaire,
        site=tenant.site,
        sent_by=tenant.pm,
        status=RequestStatus.SUBMITTED,
        submitted_at=timezone.now(),
        submitted_by=tenant.coordinator,
        cro_notes=f"{tenant.cro.name} confidential site notes",
    )
    item = questionnaire.items.first()
    Answer.objects.create(
        request=request,
        item=item,
        key=item.question.key,
        kind=item.question.kind,
        value="yes",
        comment=f"{tenant.site.name} private comment",
        updated_by=tenant.coordinator,
    )
    return request


def _attachment(tenant) -> FeasibilityAttachment:
    request = _request(tenant)
    found = FeasibilityAttachment.objects.filter(request=request).first()
    if found:
        return found
    content = b"%PDF-1.4\n% sweep attachment\n"
    return FeasibilityAttachment.objects.create(
        request=request,
        file=default_storage.save(f"feasibility/{request.pk}/sweep.pdf", ContentFile(content)),
        original_filename="site-cv.pdf",
        content_type="application/pdf",
        size=len(content),
        sha256="0" * 64,
        note=f"{tenant.site.name} private attachment note",
        uploaded_by=tenant.coordinator,
    )


OBJECT_KWARGS = {
    "questionnaire_id": lambda tenant: _questionnaire(tenant).pk,
    "feasibility_request_id": lambda tenant: _request(tenant).pk,
    "feasibility_attachment_id": lambda tenant: _attachment(tenant).pk,
}


def markers(tenant) -> list[str]:
    return [
        f"{tenant.cro.name} secret feasibility",
        f"{tenant.cro.name} private question?",
        f"{tenant.cro.name} confidential site notes",
        f"{tenant.site.name} private comment",
        f"{tenant.site.name} private attachment note",
    ]
