"""The one e-signature service: re-checks the password, stores meaning, printed name, UTC
time and a hash of the signed content. Records that can be signed provide
``signature_content()`` — a JSON-serialisable dict of exactly what the signer saw."""

import hashlib
import json
from decimal import Decimal
from typing import Any, Protocol

from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone

from core.exceptions import ApplicationError
from core.models import Signature, SignatureMeaning


class Signable(Protocol):
    pk: Any

    def signature_content(self) -> dict[str, Any]: ...


class _Encoder(DjangoJSONEncoder):
    def default(self, o):
        if isinstance(o, Decimal):
            return str(o)
        return super().default(o)


def content_hash(content: dict[str, Any]) -> str:
    """SHA-256 of a canonical JSON form (sorted keys, no whitespace)."""
    canonical = json.dumps(content, cls=_Encoder, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@transaction.atomic
def signature_create(
    *,
    actor,
    record: models.Model,
    meaning: str,
    password: str,
    reason: str = "",
) -> Signature:
    if meaning not in SignatureMeaning.values:
        raise ApplicationError("Unknown signature meaning.", fields={"meaning": ["Choose one."]})
    if not password or not actor.check_password(password):
        raise ApplicationError(
            "The password is not correct; the record was not signed.",
            fields={"password": ["Enter your password to sign."]},
            code="signature_password",
        )
    printed_name = actor.printed_name
    return Signature.objects.create(
        signer=actor,
        printed_name=printed_name,
        meaning=meaning,
        signed_at=timezone.now(),
        content_type=ContentType.objects.get_for_model(record),
        object_id=record.pk,
        content_hash=content_hash(record.signature_content()),
        reason=reason,
    )


def signature_is_valid(signature: Signature, record: Signable) -> bool:
    """True while the record still holds exactly the content that was signed."""
    return signature.content_hash == content_hash(record.signature_content())


def signatures_for(record: models.Model):
    return Signature.objects.filter(
        content_type=ContentType.objects.get_for_model(record), object_id=record.pk
    ).select_related("signer")
