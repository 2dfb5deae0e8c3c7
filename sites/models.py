"""The research-site profile of a site organization: where it is and what it can do."""

import pghistory
from django.contrib.postgres.fields import ArrayField
from django.db import models

from accounts.models import Organization


class Capability(models.TextChoices):
    PHARMACY = "pharmacy", "Investigational pharmacy"
    FREEZER_MINUS_80 = "freezer_minus_80", "−80 °C freezer"
    CENTRIFUGE = "centrifuge", "Refrigerated centrifuge"
    INFUSION = "infusion", "Infusion chairs"
    INPATIENT = "inpatient", "Inpatient / overnight beds"
    IMAGING = "imaging", "Imaging (CT/MRI)"
    PEDIATRICS = "pediatrics", "Pediatric patients"
    LOCAL_LAB = "local_lab", "Certified local laboratory"
    EDC_EXPERIENCE = "edc_experience", "EDC experience (Rave, InForm, Veeva)"


@pghistory.track()
class SiteProfile(models.Model):
    organization = models.OneToOneField(
        Organization, on_delete=models.PROTECT, related_name="site_profile"
    )
    address_line = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    region = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    therapeutic_areas = ArrayField(models.CharField(max_length=60), default=list, blank=True)
    capabilities = ArrayField(
        models.CharField(max_length=30, choices=Capability.choices), default=list, blank=True
    )
    staff_count = models.PositiveIntegerField(default=0)
    patient_population = models.PositiveIntegerField(
        default=0, help_text="Patients seen per year (approximate)"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["organization__name"]

    def __str__(self) -> str:
        return f"Profile of {self.organization}"

    def capability_labels(self) -> list[str]:
        labels = dict(Capability.choices)
        return [labels.get(c, c) for c in self.capabilities]
