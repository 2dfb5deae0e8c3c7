"""Shared infrastructure models: electronic signatures and notifications."""

import pghistory
from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models

from core.db import protect_delete


class SignatureMeaning(models.TextChoices):
    AUTHORED = "authored", "Authored"
    REVIEWED = "reviewed", "Reviewed"
    APPROVED = "approved", "Approved"


@pghistory.track()
class Signature(models.Model):
    """An electronic signature (21 CFR 11.50/11.70): who, printed name, when (UTC), meaning,
    and a SHA-256 hash of the signed content so a later change to the record is detected."""

    signer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="signatures"
    )
    printed_name = models.CharField(max_length=200)
    meaning = models.CharField(max_length=20, choices=SignatureMeaning.choices)
    signed_at = models.DateTimeField()
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.PositiveBigIntegerField()
    record = GenericForeignKey("content_type", "object_id")
    content_hash = models.CharField(max_length=64)
    reason = models.CharField(max_length=300, blank=True)

    class Meta:
        triggers = [protect_delete("signature")]
        ordering = ["signed_at", "pk"]
        indexes = [models.Index(fields=["content_type", "object_id"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(meaning__in=SignatureMeaning.values),
                name="signature_meaning_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(content_hash__regex=r"^[0-9a-f]{64}$"),
                name="signature_hash_is_sha256",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.printed_name} — {self.get_meaning_display()} — {self.signed_at:%Y-%m-%d %H:%M} UTC"


class Delivery(models.TextChoices):
    IN_APP = "in_app", "In the app only"
    EMAIL = "email", "Email right away"
    DIGEST = "digest", "One daily digest email"


class NotificationPreference(models.Model):
    """How one person wants one kind of notification; kind "*" covers every other kind."""

    EVERY_OTHER_KIND = "*"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(max_length=60)
    delivery = models.CharField(max_length=10, choices=Delivery.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="notification_preference_unique"),
            models.CheckConstraint(
                condition=models.Q(delivery__in=Delivery.values),
                name="notification_preference_delivery_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.kind} → {self.delivery}"


class NotificationDigest(models.Model):
    """One digest email per person per day; the unique row makes the daily task idempotent."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_digests"
    )
    day = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["recipient", "day"], name="notification_digest_once"),
        ]

    def __str__(self) -> str:
        return f"Digest for {self.recipient} on {self.day}"


class Notification(models.Model):
    """One message to one person. The unique dedupe key makes sending idempotent: a retried
    task or a second beat finds the row and sends nothing."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=60)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=500, blank=True)
    content_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.SET_NULL)
    object_id = models.PositiveBigIntegerField(null=True, blank=True)
    subject = GenericForeignKey("content_type", "object_id")
    dedupe_key = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    delivery = models.CharField(max_length=10, choices=Delivery.choices, default=Delivery.EMAIL)
    digest = models.ForeignKey(
        NotificationDigest,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="notifications",
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notification_inbox_idx"),
            models.Index(
                fields=["recipient"],
                condition=models.Q(read_at__isnull=True),
                name="notification_unread_idx",
            ),
            models.Index(
                fields=["recipient", "created_at"],
                condition=models.Q(delivery="digest", digest__isnull=True),
                name="notification_digest_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.title
