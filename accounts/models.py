"""People, the organizations they work for, and their roles there."""

import pghistory
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)


@pghistory.track(exclude=["password", "last_login"])
class User(AbstractBaseUser, PermissionsMixin):
    """A person. Logs in with an email address; ``full_name`` is the printed name on
    signatures."""

    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=200)
    time_zone = models.CharField(max_length=64, default="UTC")
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        ordering = ["full_name", "email"]

    def __str__(self) -> str:
        return self.full_name or self.email

    @property
    def printed_name(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.printed_name

    def get_short_name(self) -> str:
        return self.printed_name.split(" ")[0]


class OrganizationKind(models.TextChoices):
    CRO = "cro", "CRO"
    SPONSOR = "sponsor", "Sponsor"
    SITE = "site", "Research site"


class Role(models.TextChoices):
    # CRO roles
    ADMIN = "admin", "CRO administrator"
    PROJECT_MANAGER = "project_manager", "Project manager"
    CRA = "cra", "CRA"
    REGULATORY = "regulatory", "Regulatory specialist"
    DATA_MANAGER = "data_manager", "Data manager"
    SAFETY = "safety", "Safety"
    FINANCE = "finance", "Finance"
    FINANCE_APPROVER = "finance_approver", "Finance approver"
    # site roles
    SITE_ADMIN = "site_admin", "Site administrator"
    COORDINATOR = "coordinator", "Study coordinator"
    INVESTIGATOR = "investigator", "Investigator"
    # sponsor roles
    VIEWER = "viewer", "Sponsor viewer"


ROLES_BY_KIND: dict[str, tuple[str, ...]] = {
    OrganizationKind.CRO: (
        Role.ADMIN,
        Role.PROJECT_MANAGER,
        Role.CRA,
        Role.REGULATORY,
        Role.DATA_MANAGER,
        Role.SAFETY,
        Role.FINANCE,
        Role.FINANCE_APPROVER,
    ),
    OrganizationKind.SITE: (Role.SITE_ADMIN, Role.COORDINATOR, Role.INVESTIGATOR),
    OrganizationKind.SPONSOR: (Role.VIEWER,),
}
ADMIN_ROLES = frozenset({Role.ADMIN, Role.SITE_ADMIN})


@pghistory.track()
class Organization(models.Model):
    kind = models.CharField(max_length=10, choices=OrganizationKind.choices)
    name = models.CharField(max_length=200)
    country = models.CharField(max_length=2, help_text="ISO 3166-1 alpha-2 code")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=OrganizationKind.values),
                name="organization_kind_valid",
            ),
            models.UniqueConstraint(fields=["kind", "name"], name="organization_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


@pghistory.track()
class Membership(models.Model):
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="memberships")
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=Role.choices)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["organization__name", "user__full_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organization", "role"], name="membership_unique_role"
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="membership_role_valid"
            ),
        ]
        indexes = [models.Index(fields=["user", "is_active"])]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} at {self.organization}"


class InvitationStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    ACCEPTED = "accepted", "Accepted"
    REVOKED = "revoked", "Revoked"


@pghistory.track()
class Invitation(models.Model):
    email = models.EmailField()
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="invitations"
    )
    role = models.CharField(max_length=20, choices=Role.choices)
    token = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    status = models.CharField(
        max_length=10, choices=InvitationStatus.choices, default=InvitationStatus.PENDING
    )
    accepted_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=InvitationStatus.values),
                name="invitation_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} → {self.organization} ({self.get_role_display()})"

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()
