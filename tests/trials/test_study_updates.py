"""Study updates: the CRO posts to all or chosen sites of a study; each receiving site's people
are notified, read it and (where asked) confirm it, recorded per site."""

import pytest
from rest_framework.test import APIClient

from accounts.models import Role
from core.exceptions import PermissionDenied, TransitionNotAllowed
from core.models import Notification
from tests.api.errors import error_of
from tests.factories import member
from tests.factories.trials import second_site, study_update
from trials import services
from trials.models import StudyUpdate, StudyUpdateKind, StudyUpdateRecipient


@pytest.fixture
def api():
    return APIClient()


@pytest.mark.django_db
def test_an_update_to_chosen_sites_reaches_only_their_people(tenant, other_tenant):
    chosen, chosen_coordinator = second_site(tenant, "Chosen")
    left_out, left_out_coordinator = second_site(tenant, "Left-out")
    update = study_update(tenant, study_sites=[chosen])

    assert list(update.recipients.values_list("study_site_id", flat=True)) == [chosen.pk]
    notified = set(
        Notification.objects.filter(kind="study_update").values_list("recipient_id", flat=True)
    )
    assert notified == {chosen_coordinator.pk}
    note = Notification.objects.get(recipient=chosen_coordinator)
    assert note.dedupe_key == f"study_update:{update.pk}:{chosen_coordinator.pk}"
    assert note.title.startswith("Confirmation asked: ")
    assert note.url == f"/study-updates/{update.pk}/"

    # the site left out, the tenant's own site and another tenant see nothing of it
    for outsider in (left_out_coordinator, tenant.coordinator, other_tenant.coordinator):
        client = APIClient()
        client.force_login(outsider)
        assert client.get(f"/api/v1/study-updates/{update.pk}/").status_code == 404
        assert client.get("/api/v1/study-updates/").json()["count"] == 0
        assert client.get(f"/study-updates/{update.pk}/").status_code == 404


@pytest.mark.django_db
def test_an_update_to_all_sites_notifies_each_site_person_once(tenant):
    other, other_coordinator = second_site(tenant)
    update = study_update(tenant, confirmation_required=False)
    recipients = {tenant.coordinator, tenant.investigator, tenant.site_admin, other_coordinator}
    assert set(update.recipients.values_list("study_site_id", flat=True)) == {
        tenant.study_site.pk,
        other.pk,
    }
    assert Notification.objects.filter(kind="study_update").count() == len(recipients)
    assert set(
        Notification.objects.filter(kind="study_update").values_list("recipient_id", flat=True)
    ) == {user.pk for user in recipients}
    assert not Notification.objects.filter(recipient__in=[tenant.pm, tenant.cra]).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["coordinator", "cra", "finance", "sponsor_viewer"])
def test_only_project_managers_and_leads_post(tenant, who):
    with pytest.raises(PermissionDenied):
        services.study_update_post(
            actor=getattr(tenant, who),
            study=tenant.study,
            kind=StudyUpdateKind.NEWSLETTER,
            title="Newsletter",
            body="News",
        )
    assert not StudyUpdate.objects.exists()
    assert not Notification.objects.exists()


@pytest.mark.django_db
def test_a_study_lead_cra_may_post(tenant):
    from tests.factories import StudyTeamMemberFactory
    from trials.models import TeamRole

    lead = member(tenant.cro, Role.CRA)
    StudyTeamMemberFactory(study=tenant.study, user=lead, role=TeamRole.LEAD)
    update = services.study_update_post(
        actor=lead, study=tenant.study, kind="enrollment_push", title="Push", body="Screen more"
    )
    assert update.recipients.count() == 1


@pytest.mark.django_db
def test_bad_input_is_refused_and_changes_nothing(tenant, other_tenant):
    with pytest.raises(services.ApplicationError) as error:
        services.study_update_post(
            actor=tenant.pm,
            study=tenant.study,
            kind="gossip",
            title=" ",
            body="",
            study_sites=[other_tenant.study_site],
        )
    assert set(error.value.fields) == {"kind", "title", "body", "study_sites"}
    assert not StudyUpdate.objects.exists()


@pytest.mark.django_db
def test_confirmation_is_kept_per_site(tenant, frozen_today):
    other, other_coordinator = second_site(tenant)
    update = study_update(tenant)
    mine = update.recipients.get(study_site=tenant.study_site)
    theirs = update.recipients.get(study_site=other)

    services.study_update_confirm(actor=tenant.coordinator, recipient=mine)
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.confirmed_by == tenant.coordinator and mine.read_by == tenant.coordinator
    assert mine.confirmed_at is not None
    assert theirs.confirmed_at is None and theirs.read_at is None

    with pytest.raises(TransitionNotAllowed):  # once per site, even by a colleague
        services.study_update_confirm(actor=tenant.investigator, recipient=mine)
    with pytest.raises(PermissionDenied):  # not their site
        services.study_update_confirm(actor=tenant.coordinator, recipient=theirs)
    with pytest.raises(PermissionDenied):  # the CRO does not confirm for the site
        services.study_update_confirm(actor=tenant.pm, recipient=theirs)
    services.study_update_confirm(actor=other_coordinator, recipient=theirs)
    assert StudyUpdateRecipient.objects.filter(confirmed_at__isnull=False).count() == 2


@pytest.mark.django_db
def test_read_is_recorded_once_and_confirmation_only_when_asked(tenant):
    update = study_update(tenant, confirmation_required=False)
    copy = update.recipients.get()
    services.study_update_mark_read(actor=tenant.investigator, recipient=copy)
    services.study_update_mark_read(actor=tenant.coordinator, recipient=copy)
    copy.refresh_from_db()
    assert copy.read_by == tenant.investigator  # the first reader is kept
    with pytest.raises(TransitionNotAllowed):
        services.study_update_confirm(actor=tenant.coordinator, recipient=copy)


@pytest.mark.django_db
def test_api_create_list_and_confirm(api, tenant, other_tenant):
    client = api
    other, other_coordinator = second_site(tenant)
    client.force_login(tenant.pm)
    response = client.post(
        "/api/v1/study-updates/",
        {
            "study": tenant.study.pk,
            "kind": "amendment",
            "title": "Amendment 3 approved",
            "body": "Re-consent subjects at their next visit.",
            "confirmation_required": True,
            "study_sites": [other.pk],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    update_id = body["id"]
    assert [r["study_site"] for r in body["recipients"]] == [other.pk]

    client.force_login(other_tenant.pm)  # another CRO cannot post to this study
    response = client.post(
        "/api/v1/study-updates/",
        {"study": tenant.study.pk, "kind": "other", "title": "x", "body": "y"},
        format="json",
    )
    assert response.status_code == 404

    client.force_login(tenant.coordinator)  # not a receiving site
    assert client.post(f"/api/v1/study-updates/{update_id}/confirm/").status_code == 404

    client.force_login(other_coordinator)
    response = client.post(f"/api/v1/study-updates/{update_id}/confirm/")
    assert response.status_code == 200
    (copy,) = response.json()["recipients"]
    assert copy["confirmed_by"] == other_coordinator.printed_name
    response = client.post(f"/api/v1/study-updates/{update_id}/confirm/")
    assert response.status_code == 409
    assert error_of(response)["code"] == "invalid_transition"

    client.force_login(tenant.pm)
    row = client.get("/api/v1/study-updates/").json()["results"][0]
    assert row["recipients"][0]["confirmed_by"] == other_coordinator.printed_name

    client.force_login(tenant.sponsor_viewer)
    assert client.get(f"/api/v1/study-updates/{update_id}/").status_code == 200
    response = client.post(
        "/api/v1/study-updates/",
        {"study": tenant.study.pk, "kind": "other", "title": "x", "body": "y"},
        format="json",
    )
    assert response.status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("extra", [1, 12])
def test_lists_run_a_constant_number_of_queries(
    client, api, tenant, extra, django_assert_max_num_queries
):
    sites = [second_site(tenant, f"S{i}")[0] for i in range(3)]
    for i in range(extra):
        study_update(tenant, title=f"Update {i}", study_sites=[tenant.study_site, *sites])
    client.force_login(tenant.pm)
    with django_assert_max_num_queries(14):
        page = client.get("/study-updates/")
    assert page.status_code == 200
    assert "0 of 4 sites" in page.content.decode()
    api.force_login(tenant.pm)
    with django_assert_max_num_queries(10):
        response = api.get("/api/v1/study-updates/?page_size=100")
    assert response.json()["count"] == extra
    assert len(response.json()["results"][0]["recipients"]) == 4

    client.force_login(tenant.coordinator)
    with django_assert_max_num_queries(14):
        page = client.get("/study-updates/")
    assert page.content.decode().count("Confirm read") == extra
    with django_assert_max_num_queries(12):
        page = client.get(f"/study-updates/{StudyUpdate.objects.first().pk}/")
    assert page.status_code == 200
    from django.test import RequestFactory

    from trials.views import study_updates_panel

    request = RequestFactory().get("/")
    request.user = tenant.coordinator
    request.session = {}
    with django_assert_max_num_queries(3):
        panel = study_updates_panel(request)
    assert len(panel["rows"]) == min(extra, 8) and panel["more"] == (extra > 8)
    assert "Study updates unread" in client.get("/").content.decode()


@pytest.mark.django_db
def test_site_page_lists_unread_first_and_confirms_in_place(client, tenant):
    old = study_update(tenant, title="Older newsletter", confirmation_required=False)
    new = study_update(tenant, title="Newest amendment notice")
    done = study_update(tenant, title="Already confirmed one")
    services.study_update_confirm(actor=tenant.investigator, recipient=done.recipients.get())
    client.force_login(tenant.coordinator)
    html = client.get("/study-updates/").content.decode()
    assert html.index("Newest amendment notice") < html.index("Older newsletter")
    assert html.index("Older newsletter") < html.index("Already confirmed one")

    copy = new.recipients.get()
    response = client.post(f"/study-update-recipients/{copy.pk}/confirm/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    fragment = response.content.decode()
    assert "<html" not in fragment
    assert "Confirmed" in fragment and tenant.coordinator.printed_name in fragment
    response = client.post(f"/study-update-recipients/{old.recipients.get().pk}/read/")
    assert response.status_code == 302
    html = client.get("/study-updates/?pending=on").content.decode()
    assert "Older newsletter" not in html and "Newest amendment notice" not in html


@pytest.mark.django_db
def test_compose_page_posts_to_chosen_sites(client, tenant):
    other, _ = second_site(tenant)
    client.force_login(tenant.pm)
    page = client.get(f"/studies/{tenant.study.pk}/updates/new/")
    assert page.status_code == 200
    assert f"Site {other.site_number}" in page.content.decode()
    response = client.post(
        f"/studies/{tenant.study.pk}/updates/new/",
        {"kind": "newsletter", "title": "", "body": "Hello sites", "study_sites": [other.pk]},
    )
    assert response.status_code == 400
    assert "Hello sites" in response.content.decode()  # input kept
    response = client.post(
        f"/studies/{tenant.study.pk}/updates/new/",
        {"kind": "newsletter", "title": "April news", "body": "Hello", "study_sites": [other.pk]},
    )
    update = StudyUpdate.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/study-updates/{update.pk}/"
    detail = client.get(response["Location"]).content.decode()
    assert f"Site {other.site_number}" in detail
    assert f"Site {tenant.study_site.site_number} —" not in detail

    client.force_login(tenant.coordinator)
    assert client.get(f"/studies/{tenant.study.pk}/updates/new/").status_code == 403
