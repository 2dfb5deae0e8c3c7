"""Seed the document types: the TMF Reference Model artifacts a site keeps for a study."""

from django.db import migrations

SITE_MANAGEMENT = "05 Site Management"
IRB = "04 IRB or IEC and other Approvals"
TESTING = "08 Central and Local Testing"

TYPES = [
    # code, name, zone, default scope, expires, irb approval, description
    ("protocol_signature_page", "Protocol signature page", SITE_MANAGEMENT, "pi", False, False,
     "The investigator's signed agreement to conduct the study per protocol."),
    ("form_fda_1572", "Form FDA 1572 (or equivalent investigator statement)", SITE_MANAGEMENT,
     "pi", False, False, "Statement of investigator listing sub-investigators, labs and IRB."),
    ("investigator_cv", "Investigator CV", SITE_MANAGEMENT, "investigators", False, False,
     "Current curriculum vitae, signed and dated."),
    ("medical_licence", "Medical licence", SITE_MANAGEMENT, "investigators", True, False,
     "Current licence to practise medicine."),
    ("gcp_certificate", "GCP training certificate", SITE_MANAGEMENT, "investigators", True, False,
     "ICH E6 Good Clinical Practice training."),
    ("financial_disclosure", "Financial disclosure form", SITE_MANAGEMENT, "investigators", False,
     False, "Investigator financial interests (21 CFR 54)."),
    ("irb_protocol", "IRB/IEC approval of the protocol", IRB, "site", True, True,
     "Approval letter; expires at the continuing review date."),
    ("irb_amendment", "IRB/IEC approval of a protocol amendment", IRB, "site", False, True,
     "One per amendment; name the amendment in the requirement."),
    ("informed_consent_form", "Informed consent form (IRB-approved version)", IRB, "site", False,
     False, "The version the IRB/IEC approved for use at the site."),
    ("lab_certification", "Laboratory certification", TESTING, "site", True, False,
     "Accreditation of the local laboratory (e.g. CLIA, CAP)."),
    ("lab_normal_ranges", "Laboratory normal ranges", TESTING, "site", False, False,
     "Reference ranges of the local laboratory."),
    ("delegation_log", "Delegation of authority log", SITE_MANAGEMENT, "site", False, False,
     "Who at the site may perform which study tasks, signed by the PI."),
]


def seed(apps, schema_editor):
    DocumentType = apps.get_model("regulatory", "DocumentType")
    for order, (code, name, zone, scope, expires, irb, description) in enumerate(TYPES, 1):
        DocumentType.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "tmf_zone": zone,
                "default_scope": scope,
                "expires": expires,
                "is_irb_approval": irb,
                "description": description,
                "order": order * 10,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("regulatory", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
