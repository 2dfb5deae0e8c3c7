"""Study-site drop-downs that stay small, whatever the data size.

A form that offers study-sites lists them all while there are at most ``STUDY_SITES_MAX``.
Past that (a PM or CRO finance person of a large CRO sees thousands: one select of 2,500
options weighed 210 KB and took 250 ms to build) it asks for the study first, in a small GET
form above its own, and lists that study's sites only::

    offer = study_site_choices(request, selectors.plannable_study_sites(actor=request.user))
    if not offer.exists:
        ...  # the actor may pick no study-site at all
    form = VisitPlanForm(request.POST or None, study_sites=offer.study_sites, ...)
    return render(request, "...", {"form": form, "study_step": offer})

and the template draws the step with ``{% include "includes/study_step.html" with
step=study_step %}``.

The chosen study comes from ``?study=<id>``. Without one, a study-site the request names (the
posted ``study_site``, or ``?study_site=`` of a link) picks its study, so a posted form
validates against the sites it offered and a link naming a study-site still works. Ids from
the request are only ever looked for inside the queryset given: ``study_sites`` is always a
subset of it, and the form's own validation then refuses any id outside ``study_sites``.
"""

from dataclasses import dataclass, field

from django import forms
from django.db.models import QuerySet

from core.forms import StyledForm

# Above this many study-sites a form asks for the study first.
STUDY_SITES_MAX = 100

# The only option of the Study-site drop-down until a study is chosen.
CHOOSE_STUDY_FIRST = "Choose a study first"


class StudyStepForm(StyledForm):
    """The "choose the study first" step: a GET form whose study narrows the Study-site
    drop-down of the page's own form."""

    study = forms.TypedChoiceField(
        label="Study",
        required=False,
        coerce=int,
        empty_value=None,
        help_text="Too many study-sites for one list: choose the study to list its sites.",
    )

    def __init__(self, *args, studies=(), **kwargs):
        # Its own ids, so that a page form with a field named "study" never collides.
        kwargs.setdefault("auto_id", "id_step_%s")
        super().__init__(*args, **kwargs)
        self.fields["study"].choices = [("", "Choose a study"), *studies]


@dataclass(frozen=True)
class StudySiteChoices:
    """What a study-site drop-down offers."""

    # The study-sites to offer, and the only ones a posted id may name.
    study_sites: QuerySet
    # Whether the queryset given holds any study-site at all.
    exists: bool
    # (id, protocol number) of each study, when a study must be chosen first; else empty.
    studies: list[tuple[int, str]] = field(default_factory=list)
    # The chosen study (one of ``studies``), if any.
    study: int | None = None

    @property
    def study_first(self) -> bool:
        """Whether the page shows the study step."""
        return bool(self.studies)

    @property
    def empty_label(self) -> str | None:
        """The drop-down's empty choice: only while a study is still to be chosen (the field
        is required, so submitting it says so)."""
        return CHOOSE_STUDY_FIRST if self.study_first and self.study is None else None

    @property
    def form(self) -> StudyStepForm | None:
        """The study step's form, showing the chosen study."""
        if not self.study_first:
            return None
        return StudyStepForm(studies=self.studies, initial={"study": self.study})


def _id(value: str) -> int | None:
    """A primary key from a query or form parameter, or None ("²" is a digit, not an id)."""
    return int(value) if value.isascii() and value.isdigit() else None


def study_site_choices(request, study_sites: QuerySet) -> StudySiteChoices:
    """The study-sites of ``study_sites`` that a form offers (see the module's docstring). At
    most three small queries: whether there are more than ``STUDY_SITES_MAX``, then, only if
    so, the distinct studies and the study of a study-site the request names."""
    unordered = study_sites.order_by()
    probe = list(unordered.values_list("pk", flat=True)[: STUDY_SITES_MAX + 1])
    if len(probe) <= STUDY_SITES_MAX:
        return StudySiteChoices(study_sites=study_sites, exists=bool(probe))
    studies = list(
        unordered.values_list("study_id", "study__protocol_number")
        .distinct()
        .order_by("study__protocol_number", "study_id")
    )
    study = _id(request.GET.get("study", ""))
    if study not in {pk for pk, _ in studies}:
        study = None
    named = _id(request.POST.get("study_site", "") or request.GET.get("study_site", ""))
    if study is None and named is not None:
        study = unordered.filter(pk=named).values_list("study_id", flat=True).first()
    offered = study_sites.filter(study_id=study) if study else study_sites.none()
    return StudySiteChoices(study_sites=offered, exists=True, studies=studies, study=study)
