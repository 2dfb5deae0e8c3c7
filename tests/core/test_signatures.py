import pytest
from django.db import IntegrityError, transaction

from core.exceptions import ApplicationError
from core.models import Signature
from core.signatures import content_hash, signature_create, signature_is_valid, signatures_for
from tests.factories import PASSWORD, StudyFactory, UserFactory


def study_record(study):
    """A study standing in for a signable record: what the signer saw is protocol + title."""
    study.signature_content = lambda: {"protocol": study.protocol_number, "title": study.title}
    return study


@pytest.mark.django_db
def test_signature_records_signer_meaning_time_and_hash():
    signer = UserFactory(full_name="Dana Reyes")
    study = StudyFactory()
    signature = signature_create(
        actor=signer, record=study_record(study), meaning="approved", password=PASSWORD
    )
    assert signature.printed_name == "Dana Reyes"
    assert signature.meaning == "approved"
    assert signature.signed_at.utcoffset().total_seconds() == 0
    assert signature.content_hash == content_hash(
        {"protocol": study.protocol_number, "title": study.title}
    )
    assert list(signatures_for(study)) == [signature]
    assert "Dana Reyes — Approved" in str(signature)


@pytest.mark.django_db
def test_wrong_password_is_refused_and_nothing_is_signed():
    signer = UserFactory()
    study = study_record(StudyFactory())
    with pytest.raises(ApplicationError) as error:
        signature_create(actor=signer, record=study, meaning="approved", password="guess")
    assert "password" in error.value.fields
    assert Signature.objects.count() == 0


@pytest.mark.django_db
def test_a_changed_record_no_longer_matches_its_signature():
    signer = UserFactory()
    study = study_record(StudyFactory(title="Original title"))
    signature = signature_create(actor=signer, record=study, meaning="authored", password=PASSWORD)
    assert signature_is_valid(signature, study)
    study.title = "Quietly edited title"
    assert not signature_is_valid(signature, study)


@pytest.mark.django_db
def test_unknown_meaning_is_refused():
    signer = UserFactory()
    with pytest.raises(ApplicationError):
        signature_create(
            actor=signer, record=study_record(StudyFactory()), meaning="liked", password=PASSWORD
        )


@pytest.mark.django_db
def test_signatures_cannot_be_deleted():
    signer = UserFactory()
    signature = signature_create(
        actor=signer, record=study_record(StudyFactory()), meaning="reviewed", password=PASSWORD
    )
    with pytest.raises(Exception) as error, transaction.atomic():
        Signature.objects.filter(pk=signature.pk).delete()
    assert "no_delete" in str(error.value) or isinstance(error.value, IntegrityError)
    assert Signature.objects.filter(pk=signature.pk).exists()


def test_hash_is_independent_of_key_order():
    assert content_hash({"a": 1, "b": "x"}) == content_hash({"b": "x", "a": 1})
    assert content_hash({"a": 1}) != content_hash({"a": 2})
