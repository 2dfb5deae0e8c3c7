"""The SAE 24-hour clock: how a serious report stands against its due time.

Pure functions of the stored times and "now", so pages, the API, the dashboards and the
escalation sweep all tell the same story.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

# A draft is "due soon" when less than this is left on its clock.
DUE_SOON = timedelta(hours=6)


@dataclass(frozen=True)
class Clock:
    state: str  # none | running | due_soon | overdue | on_time | late
    due_at: datetime | None
    seconds: int  # left (running / due_soon), past due (overdue / late), else 0
    label: str

    @property
    def is_running(self) -> bool:
        return self.state in ("running", "due_soon", "overdue")

    @property
    def css(self) -> str:
        return {
            "running": "text-bg-info",
            "due_soon": "text-bg-warning",
            "overdue": "text-bg-danger",
            "on_time": "text-bg-success",
            "late": "text-bg-danger",
        }.get(self.state, "text-bg-light")


def _duration(seconds: int) -> str:
    seconds = max(seconds, 0)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes:02d} min"
    return f"{minutes} min"


def sae_clock(adverse_event, now: datetime | None = None) -> Clock:
    """Where this report's 24-hour clock stands at ``now`` (default: the current time)."""
    due = adverse_event.due_at
    if not adverse_event.is_serious or due is None:
        return Clock("none", None, 0, "No reporting clock (not serious)")
    if adverse_event.reported_at is not None:
        past = int((adverse_event.reported_at - due).total_seconds())
        if adverse_event.is_late:
            return Clock("late", due, past, f"Reported late, {_duration(past)} after due")
        return Clock("on_time", due, 0, "Reported within 24 h")
    now = now or timezone.now()
    left = int((due - now).total_seconds())
    if left <= 0:
        return Clock("overdue", due, -left, f"Overdue by {_duration(-left)}")
    state = "due_soon" if left <= DUE_SOON.total_seconds() else "running"
    return Clock(state, due, left, f"{_duration(left)} left")
