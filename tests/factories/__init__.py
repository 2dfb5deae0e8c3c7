"""factory-boy factories for every app; import from here in tests."""

import datetime as dt

import factory
from factory.django import DjangoModelFactory

from accounts.models import Membership, Organization, OrganizationKind, Role, User
from sites.models import SiteProfile
from trials.models import (
    CRAAssignment,
    Milestone,
    MilestoneKind,
    Study,
    StudySite,
    StudyTeamMember,
    Subject,
    SubjectVisit,
    TeamRole,
    VisitDefinition,
)

PASSWORD = "correct-horse-battery"


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.test")
    full_name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class OrganizationFactory(DjangoModelFactory):
    class Meta:
        model = Organization

    kind = OrganizationKind.CRO
    name = factory.Sequence(lambda n: f"Organization {n}")
    country = "US"


class CROFactory(OrganizationFactory):
    kind = OrganizationKind.CRO
    name = factory.Sequence(lambda n: f"CRO {n}")


class SponsorFactory(OrganizationFactory):
    kind = OrganizationKind.SPONSOR
    name = factory.Sequence(lambda n: f"Sponsor {n}")


class SiteOrganizationFactory(OrganizationFactory):
    kind = OrganizationKind.SITE
    name = factory.Sequence(lambda n: f"Research Site {n}")


class SiteProfileFactory(DjangoModelFactory):
    class Meta:
        model = SiteProfile

    organization = factory.SubFactory(SiteOrganizationFactory)
    city = "Springfield"


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organization = factory.SubFactory(CROFactory)
    role = Role.PROJECT_MANAGER


class StudyFactory(DjangoModelFactory):
    class Meta:
        model = Study

    cro = factory.SubFactory(CROFactory)
    sponsor = factory.SubFactory(SponsorFactory)
    protocol_number = factory.Sequence(lambda n: f"PRT-{n:04d}")
    title = factory.Sequence(lambda n: f"A study of compound {n} in adults")
    phase = "2"
    therapeutic_area = "Cardiology"
    currency = "USD"
    planned_sites = 10
    planned_subjects = 100


class StudyTeamMemberFactory(DjangoModelFactory):
    class Meta:
        model = StudyTeamMember

    study = factory.SubFactory(StudyFactory)
    user = factory.SubFactory(UserFactory)
    role = TeamRole.MEMBER


class StudySiteFactory(DjangoModelFactory):
    class Meta:
        model = StudySite

    study = factory.SubFactory(StudyFactory)
    site = factory.SubFactory(SiteOrganizationFactory)
    site_number = factory.Sequence(lambda n: f"{900 + n}")
    enrollment_target = 12


class CRAAssignmentFactory(DjangoModelFactory):
    class Meta:
        model = CRAAssignment

    study_site = factory.SubFactory(StudySiteFactory)
    cra = factory.SubFactory(UserFactory)


class VisitDefinitionFactory(DjangoModelFactory):
    class Meta:
        model = VisitDefinition

    study = factory.SubFactory(StudyFactory)
    code = factory.Sequence(lambda n: f"V{n}")
    name = factory.Sequence(lambda n: f"Visit {n}")
    day_offset = factory.Sequence(lambda n: n * 14)
    window_before = 3
    window_after = 3
    order = factory.Sequence(lambda n: n)


class SubjectFactory(DjangoModelFactory):
    class Meta:
        model = Subject

    study_site = factory.SubFactory(StudySiteFactory)
    subject_identifier = factory.Sequence(lambda n: f"S-{n:04d}")
    screening_date = dt.date(2026, 1, 10)
    consent_date = dt.date(2026, 1, 9)
    consent_version = "v2.0"


class SubjectVisitFactory(DjangoModelFactory):
    class Meta:
        model = SubjectVisit

    subject = factory.SubFactory(SubjectFactory)
    definition = factory.SubFactory(
        VisitDefinitionFactory, study=factory.SelfAttribute("..subject.study_site.study")
    )
    target_date = dt.date(2026, 2, 1)
    window_start = dt.date(2026, 1, 29)
    window_end = dt.date(2026, 2, 4)


class MilestoneFactory(DjangoModelFactory):
    class Meta:
        model = Milestone

    study = factory.SubFactory(StudyFactory)
    kind = MilestoneKind.FPI
    planned_date = dt.date(2026, 3, 1)


def member(organization: Organization, role: str, **user_fields) -> User:
    """A new user holding ``role`` in ``organization``."""
    user = UserFactory(**user_fields)
    MembershipFactory(user=user, organization=organization, role=role)
    return user
