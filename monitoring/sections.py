"""The structured sections of a monitoring visit report (ICH E6(R3) 3.11.4.6).

Each section is saved on its own (HTMX) and validated here; required sections must be filled
before the report can be submitted."""

from dataclasses import dataclass

from core.exceptions import ApplicationError

MAX_TEXT = 10_000
MAX_NUMBER = 1_000_000


@dataclass(frozen=True)
class SectionField:
    name: str
    label: str
    kind: str = "text"  # text | number
    required: bool = True
    help_text: str = ""


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    fields: tuple[SectionField, ...]
    required: bool = True
    help_text: str = ""
    # auto content the page lists next to the fields: "enrollment" | "action_items" | ""
    auto: str = ""
    # findings of this category are recorded inside the section
    finding_category: str = ""


def _summary(label: str = "Summary of what was reviewed and found", required: bool = True):
    return SectionField("summary", label, "text", required)


SECTIONS: tuple[Section, ...] = (
    Section(
        "attendees",
        "Attendees",
        (SectionField("names", "Who attended (name and role)"),),
        help_text="Site staff and monitors present, with their roles.",
    ),
    Section(
        "enrollment",
        "Enrollment status",
        (SectionField("comments", "Comments on recruitment and retention", required=False),),
        required=False,
        help_text="Screened, enrolled and withdrawn since the last visit come from the "
        "subject log.",
        auto="enrollment",
    ),
    Section(
        "informed_consent",
        "Informed consent review",
        (
            SectionField("consents_reviewed", "Consent forms reviewed", "number"),
            _summary("Consent process and version findings"),
        ),
    ),
    Section(
        "sdv",
        "Source data verification",
        (
            SectionField("subjects_reviewed", "Subjects reviewed (pseudonymous ids)"),
            SectionField("visits_reviewed", "Subject visits reviewed", "number"),
            SectionField("data_points_verified", "Data points verified", "number"),
            SectionField("data_points_total", "Data points due for verification", "number"),
        ),
    ),
    Section(
        "protocol_deviations",
        "Protocol deviations",
        (_summary("Summary (record each deviation as a finding)"),),
        finding_category="deviation",
    ),
    Section("ae_review", "AE/SAE review", (_summary(),)),
    Section("ip_accountability", "Investigational product accountability", (_summary(),)),
    Section("isf_review", "Investigator site file review", (_summary(),)),
    Section("facilities", "Facilities and equipment", (_summary(required=False),), required=False),
    Section(
        "general_findings",
        "General findings",
        (_summary("Other findings", required=False),),
        required=False,
        finding_category="general",
    ),
    Section(
        "action_item_follow_up",
        "Follow-up of open action items",
        (SectionField("comments", "Progress on earlier action items", required=False),),
        required=False,
        help_text="Open action items from earlier visits to this site are listed automatically.",
        auto="action_items",
    ),
    Section("conclusions", "Conclusions", (_summary("Conclusions and next steps"),)),
)
SECTIONS_BY_KEY = {s.key: s for s in SECTIONS}


def section_clean(key: str, data: dict) -> dict:
    """The section's values, cleaned; raises ApplicationError naming each bad field.

    Saving a draft allows empty values (a CRA saves as they go); ``section_missing`` decides
    whether the report is complete enough to submit."""
    section = SECTIONS_BY_KEY.get(key)
    if section is None:
        raise ApplicationError("Unknown report section.", fields={"section": ["Choose one."]})
    cleaned: dict = {}
    errors: dict[str, list[str]] = {}
    for field in section.fields:
        raw = data.get(field.name)
        if field.kind == "number":
            if raw in (None, ""):
                cleaned[field.name] = None
                continue
            try:
                value = int(str(raw).strip())
            except (TypeError, ValueError):
                errors[field.name] = ["Enter a whole number."]
                continue
            if not 0 <= value <= MAX_NUMBER:
                errors[field.name] = [f"Enter a number between 0 and {MAX_NUMBER}."]
                continue
            cleaned[field.name] = value
        else:
            value = str(raw or "").strip()
            if len(value) > MAX_TEXT:
                errors[field.name] = [f"Keep it under {MAX_TEXT} characters."]
                continue
            cleaned[field.name] = value
    if key == "sdv" and not errors:
        verified, total = cleaned.get("data_points_verified"), cleaned.get("data_points_total")
        if verified is not None and total is not None and verified > total:
            errors["data_points_verified"] = ["Cannot be more than the data points due."]
    if errors:
        raise ApplicationError(f"Please correct the {section.title} section.", fields=errors)
    return cleaned


def sdv_percent(values: dict) -> float | None:
    verified, total = values.get("data_points_verified"), values.get("data_points_total")
    if verified is None or not total:
        return None
    return round(100 * verified / total, 1)


def section_missing(sections: dict) -> dict[str, list[str]]:
    """{section key: [labels of empty required fields]} for the required sections."""
    missing: dict[str, list[str]] = {}
    for section in SECTIONS:
        values = sections.get(section.key) or {}
        empty = [
            f.label
            for f in section.fields
            if f.required and section.required and values.get(f.name) in (None, "")
        ]
        if empty:
            missing[section.key] = empty
    return missing
