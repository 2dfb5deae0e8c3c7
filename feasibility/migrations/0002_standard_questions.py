"""Platform-standard feasibility questions: fixed canonical keys shared by every CRO, so a
site's answer to one CRO's questionnaire pre-fills the next one's."""

from django.db import migrations

STANDARD_QUESTIONS = [
    # key, text, kind, options, profile_field, reuse_answers, help_text
    (
        "investigational-pharmacy",
        "Do you have an investigational pharmacy?",
        "yes_no",
        [],
        "capability:pharmacy",
        True,
        "",
    ),
    (
        "freezer-minus-80",
        "Do you have a −80 °C freezer?",
        "yes_no",
        [],
        "capability:freezer_minus_80",
        True,
        "",
    ),
    (
        "imaging-ct-mri",
        "Do you have on-site imaging (CT/MRI)?",
        "yes_no",
        [],
        "capability:imaging",
        True,
        "",
    ),
    (
        "certified-local-lab",
        "Do you have a certified local laboratory?",
        "yes_no",
        [],
        "capability:local_lab",
        True,
        "",
    ),
    (
        "patients-seen-per-year",
        "How many patients does the site see per year (all conditions)?",
        "number",
        [],
        "patient_population",
        True,
        "",
    ),
    (
        "patients-with-condition-per-year",
        "How many patients with the study's condition do you see per year?",
        "number",
        [],
        "",
        False,
        "Specific to this study's condition, so it is never pre-filled from another study.",
    ),
    (
        "research-staff",
        "How many research staff work at the site?",
        "number",
        [],
        "staff_count",
        True,
        "",
    ),
    (
        "active-studies",
        "Number of active studies at the site",
        "number",
        [],
        "",
        True,
        "",
    ),
    (
        "irb-type",
        "IRB / ethics committee type",
        "single_choice",
        ["Local", "Central", "Both"],
        "",
        True,
        "",
    ),
    (
        "average-startup-days",
        "Average start-up time (days from site selection to activation)",
        "number",
        [],
        "",
        True,
        "",
    ),
    (
        "edc-systems",
        "Which EDC systems has your team used?",
        "multiple_choice",
        ["Medidata Rave", "Oracle InForm", "Veeva Vault EDC", "REDCap", "Other"],
        "",
        True,
        "",
    ),
    (
        "earliest-siv-date",
        "Earliest date you could host a site initiation visit",
        "date",
        [],
        "",
        False,
        "",
    ),
]


def add_standard_questions(apps, schema_editor):
    Question = apps.get_model("feasibility", "Question")
    for key, text, kind, options, profile_field, reuse, help_text in STANDARD_QUESTIONS:
        Question.objects.get_or_create(
            owner=None,
            key=key,
            defaults={
                "text": text,
                "kind": kind,
                "options": options,
                "profile_field": profile_field,
                "reuse_answers": reuse,
                "help_text": help_text,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("feasibility", "0001_initial")]

    operations = [migrations.RunPython(add_standard_questions, migrations.RunPython.noop)]
