"""An email backend for the bench's sweep runs: counts the messages and drops them (no SMTP,
and no outbox growing in memory while the sweep's memory is measured)."""

from django.core.mail.backends.base import BaseEmailBackend


class CountingBackend(BaseEmailBackend):
    sent = 0

    def send_messages(self, email_messages):
        count = len(list(email_messages))
        CountingBackend.sent += count
        return count
