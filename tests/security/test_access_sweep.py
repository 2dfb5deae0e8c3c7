"""The access sweep: every URL pattern and API route, walked with users of another tenant.

Routes are enumerated from the URL resolver, not listed by hand, so a route added later is
swept without a new test. A route whose URL takes an object id must name the kwarg after the
object (``study_id``, ``study_site_id`` …); a kwarg this sweep does not know fails the test
until it is mapped — that is the point.

Each app maps its own kwargs in ``tests/security/objects_<app>.py``:
``OBJECT_KWARGS = {"<kwarg>": lambda tenant: <pk of an object of that tenant>}`` and optionally
``def markers(tenant) -> list[str]`` (texts of that tenant that no other tenant may ever see).
"""

import importlib
import pkgutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.models import Invitation, Membership
from core.notifications import notify
from trials.models import Study, StudySite, Subject, SubjectVisit

# Routes that are not tenant data: Django admin (staff only; tenant users are redirected to its
# login), django-allauth's own pages (keys in their URLs are per-person secrets), static API
# documentation, and the invitation link (the unguessable token itself is the capability).
SKIPPED_PREFIXES = ("admin/", "accounts/", "api/schema/", "api/docs/")
CAPABILITY_KWARGS = {"token"}
IGNORED_KWARGS = {"format"}
WRITE_METHODS = ("post", "put", "patch", "delete")


@dataclass(frozen=True)
class Route:
    name: str
    route: str
    kwargs: tuple[str, ...]


def _walk(patterns, prefix: str = "", namespace: str = "") -> Iterator[Route]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = namespace
            if entry.namespace:
                ns = f"{namespace}{entry.namespace}:"
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            route = prefix + str(entry.pattern)
            kwargs = tuple(
                sorted(
                    set(entry.pattern.regex.groupindex)
                    | set(getattr(entry.pattern, "converters", {}))
                )
            )
            if entry.name:
                yield Route(name=namespace + entry.name, route=route, kwargs=kwargs)


def all_routes() -> list[Route]:
    seen: dict[tuple[str, tuple[str, ...]], Route] = {}
    for route in _walk(get_resolver().url_patterns):
        clean = route.route.lstrip("^")
        if clean.startswith(SKIPPED_PREFIXES):
            continue
        seen.setdefault((route.name, route.kwargs), route)
    return list(seen.values())


def _app_modules():
    here = Path(__file__).parent
    return [
        importlib.import_module(f"tests.security.{info.name}")
        for info in pkgutil.iter_modules([str(here)])
        if info.name.startswith("objects_")
    ]


def _app_object_kwargs() -> dict[str, Callable]:
    kwargs: dict[str, Callable] = {}
    for module in _app_modules():
        kwargs.update(module.OBJECT_KWARGS)
    return kwargs


def _tenant_objects(tenant) -> dict[str, int]:
    invitation = Invitation.objects.create(
        email="newcomer@alpha.test",
        organization=tenant.cro,
        role="cra",
        token="alpha-secret-token",
        invited_by=tenant.cro_admin,
        expires_at="2099-01-01T00:00:00Z",
    )
    notification = notify(
        recipient=tenant.cro_admin,
        kind="test",
        title="Alpha private notice",
        dedupe_key="sweep:alpha",
    )
    return {
        "study_id": tenant.study.pk,
        "study_site_id": tenant.study_site.pk,
        "subject_id": tenant.subject.pk,
        "subject_visit_id": tenant.subject_visit.pk,
        "invitation_id": invitation.pk,
        "notification_id": notification.pk,
        "membership_id": Membership.objects.filter(organization=tenant.cro).first().pk,
        **{kwarg: make(tenant) for kwarg, make in _app_object_kwargs().items()},
    }


def _markers(tenant) -> list[str]:
    return [
        tenant.study.protocol_number,
        tenant.study.title,
        tenant.site.name,
        tenant.cro.name,
        tenant.subject.subject_identifier,
        tenant.pm.full_name,
        tenant.coordinator.email,
        "Alpha private notice",
        "newcomer@alpha.test",
        *[
            m
            for module in _app_modules()
            if hasattr(module, "markers")
            for m in module.markers(tenant)
        ],
    ]


def _audit_event_counts() -> dict[str, int]:
    """Rows in every audit event table: any write to any tracked model adds one."""
    import pghistory.models
    from django.apps import apps

    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if issubclass(model, pghistory.models.Event) and not model._meta.proxy
    }


def _snapshot(tenant) -> dict:
    """Everything of tenant A that a write could change, and every audit table's size."""
    return {
        "audit_events": _audit_event_counts(),
        "studies": list(Study.objects.filter(cro=tenant.cro).values()),
        "study_sites": list(StudySite.objects.filter(study__cro=tenant.cro).values()),
        "subjects": list(Subject.objects.filter(study_site__study__cro=tenant.cro).values()),
        "visits": list(
            SubjectVisit.objects.filter(subject__study_site__study__cro=tenant.cro).values()
        ),
        "invitations": list(Invitation.objects.filter(organization=tenant.cro).values()),
        "memberships": list(Membership.objects.filter(organization=tenant.cro).values()),
        "notifications_read": list(tenant.cro_admin.notifications.values_list("pk", "read_at")),
    }


def _url(route: Route, objects: dict[str, int]) -> str | None:
    kwargs = {k: objects[k] for k in route.kwargs if k not in IGNORED_KWARGS}
    try:
        return reverse(route.name, kwargs=kwargs)
    except Exception:  # a route with an optional/format kwarg we do not fill
        return None


def test_every_object_route_uses_a_known_kwarg():
    known = {
        "study_id",
        "study_site_id",
        "subject_id",
        "subject_visit_id",
        "invitation_id",
        "notification_id",
        "membership_id",
        *_app_object_kwargs(),
    }
    unknown = {
        (route.route, kwarg)
        for route in all_routes()
        for kwarg in route.kwargs
        if kwarg not in known | IGNORED_KWARGS | CAPABILITY_KWARGS
    }
    assert not unknown, f"map these URL kwargs to tenant objects in the sweep: {unknown}"


@pytest.mark.django_db
def test_other_tenants_get_404_and_change_nothing(client, tenant, other_tenant):
    objects = _tenant_objects(tenant)
    routes = [r for r in all_routes() if not set(r.kwargs) & CAPABILITY_KWARGS]
    object_routes = [r for r in routes if set(r.kwargs) - IGNORED_KWARGS]
    assert len(object_routes) >= 8, "the sweep should see the object routes"

    # Positive control: the owner reaches every object route (so a 404 below means "hidden",
    # not "wrongly mapped").
    client.force_login(tenant.cro_admin)
    for route in object_routes:
        url = _url(route, objects)
        if url is None:
            continue
        response = client.get(url)
        assert response.status_code in (200, 405), (route.route, response.status_code)

    before = _snapshot(tenant)
    # One outsider per kind of access: a CRO-wide role (who also leads a study), a CRA, a site
    # coordinator and a sponsor viewer of the other tenant.
    outsiders = [
        other_tenant.pm,
        other_tenant.cra,
        other_tenant.coordinator,
        other_tenant.sponsor_viewer,
    ]
    checked = 0
    for outsider in outsiders:
        client.force_login(outsider)
        for route in object_routes:
            url = _url(route, objects)
            if url is None:
                continue
            response = client.get(url)
            assert response.status_code in (404, 405), (outsider, route.route, response.status_code)
            if url.startswith("/api/"):
                attempts = [
                    (method, {"data": {"reason": "x"}, "content_type": "application/json"})
                    for method in WRITE_METHODS
                ]
            else:  # pages write through POSTed forms
                attempts = [("post", {"data": {"reason": "x"}})]
            for method, kwargs in attempts:
                response = getattr(client, method)(url, **kwargs)
                assert response.status_code in (403, 404, 405), (
                    outsider,
                    method,
                    route.route,
                    response.status_code,
                )
            checked += 1
    assert checked == len(outsiders) * len([r for r in object_routes if _url(r, objects)])
    assert _snapshot(tenant) == before


def _body(response) -> str:
    """The whole response as text, streamed ones (CSV exports) included."""
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    return raw.decode(errors="ignore")


@pytest.mark.django_db
def test_lists_never_show_another_tenants_data(client, tenant, other_tenant):
    objects = _tenant_objects(tenant)
    markers = _markers(tenant)
    list_routes = [r for r in all_routes() if not set(r.kwargs) - IGNORED_KWARGS]
    assert len(list_routes) >= 5
    client.force_login(tenant.cro_admin)
    owner_pages = "".join(_body(client.get(reverse(r.name))) for r in list_routes)
    assert tenant.study.protocol_number in owner_pages  # the markers are real
    for outsider in (other_tenant.pm, other_tenant.coordinator, other_tenant.sponsor_viewer):
        client.force_login(outsider)
        for route in list_routes:
            response = client.get(reverse(route.name))
            assert response.status_code < 500, route.route
            body = _body(response)
            leaked = [m for m in markers if m in body]
            assert not leaked, (outsider, route.route, leaked)
    assert objects  # objects exist while the lists are read
