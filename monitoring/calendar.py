"""The iCalendar (RFC 5545) rendering of a person's monitoring visits."""

from collections.abc import Iterable
from datetime import timedelta

from django.utils import timezone
from icalendar import Calendar, Event

from monitoring.models import MonitoringVisit, VisitStatus


def calendar_bytes(visits: Iterable[MonitoringVisit], *, base_url: str) -> bytes:
    cal = Calendar()
    cal.add("prodid", "-//TrialBridge//Monitoring visits//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", "TrialBridge monitoring visits")
    now = timezone.now()
    base = base_url.rstrip("/")
    for visit in visits:
        ss = visit.study_site
        event = Event()
        event.add("uid", f"monitoring-visit-{visit.pk}@trialbridge")
        event.add("dtstamp", now)
        event.add("dtstart", visit.planned_at)
        event.add("dtend", visit.planned_at + timedelta(minutes=visit.duration_minutes))
        event.add(
            "summary",
            f"{visit.get_visit_type_display()} · {ss.study.protocol_number} site {ss.site_number}",
        )
        event.add("location", ss.site.name if visit.mode == "on_site" else "Remote")
        event.add(
            "description",
            f"{visit.get_status_display()} · {visit.get_mode_display()} · monitor "
            f"{visit.cra.printed_name}\n{base}{visit.get_absolute_url()}",
        )
        event.add("url", f"{base}{visit.get_absolute_url()}")
        event.add(
            "status",
            "TENTATIVE"
            if visit.status in (VisitStatus.PLANNED, VisitStatus.PROPOSED)
            else "CONFIRMED",
        )
        cal.add_component(event)
    return cal.to_ical()
