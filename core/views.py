"""Shared view helpers and the notification inbox."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from core.exceptions import ApplicationError, PermissionDenied
from core.models import Delivery, Notification, NotificationPreference
from core.notifications import KINDS, notification_mark_read, notification_preference_set
from core.pagination import CappedPaginator

PAGE_SIZE = 25


def paginate(request, queryset, per_page: int = PAGE_SIZE):
    """One page of a list; the count stops at core.pagination.COUNT_CAP rows."""
    return CappedPaginator(queryset, per_page).get_page(request.GET.get("page"))


def apply_error(form: forms.Form, error: ApplicationError) -> None:
    """Show a service's refusal on the form: next to each field it names, else on top."""
    placed = False
    for field, messages in error.fields.items():
        if field in form.fields:
            for message in messages:
                form.add_error(field, message)
            placed = True
    if not placed or not error.fields:
        form.add_error(None, error.message)


def forbidden(request, error: PermissionDenied):
    return render(request, "403.html", {"message": error.message}, status=403)


def submit_form(request, form, call, *, success, done, failed, locked_redirects=False):
    """Run one service with a POSTed form, the same way on every page.

    ``call(cleaned_data)`` runs the service. A role refusal answers the 403 page; a refused
    rule lands on the form (next to its fields, input kept) and ``failed()`` renders the page
    again; success flashes ``success`` (or ``success(result)``) and redirects to ``done``.
    With ``locked_redirects`` a closed, read-only record is reported as a message on ``done``.
    """
    from django.contrib import messages

    from core.exceptions import RecordLocked

    if form.is_valid():
        try:
            result = call(form.cleaned_data)
        except PermissionDenied as error:
            return forbidden(request, error)
        except RecordLocked as error:
            if not locked_redirects:
                apply_error(form, error)
                return failed()
            messages.error(request, error.message)
            return redirect(done)
        except ApplicationError as error:
            apply_error(form, error)
        else:
            messages.success(request, success(result) if callable(success) else success)
            return redirect(done)
    return failed()


@login_required
def notification_list(request):
    notifications = Notification.objects.filter(recipient=request.user).order_by(
        "-created_at", "-pk"
    )
    if request.GET.get("unread"):
        notifications = notifications.filter(read_at__isnull=True)
    page = paginate(request, notifications)
    return render(request, "core/notification_list.html", {"page_obj": page})


@login_required
@require_POST
def notification_read(request, notification_id: int):
    notification_mark_read(actor=request.user, notification_ids=[notification_id])
    notification = Notification.objects.filter(recipient=request.user, pk=notification_id).first()
    if notification is None:
        from django.http import Http404

        raise Http404("Not found.")
    if request.htmx:
        return render(request, "core/notification_list.html#notification-row", {"n": notification})
    return redirect("notification_list")


@login_required
@require_POST
def notification_read_all(request):
    notification_mark_read(actor=request.user)
    return redirect("notification_list")


@login_required
def notification_preferences(request):
    """Per kind: in the app only, email right away, or one daily digest email."""
    received = (
        Notification.objects.filter(recipient=request.user)
        .order_by()
        .values_list("kind", flat=True)
        .distinct()
    )
    kinds = {kind: kind.replace(".", " ").replace("_", " ").capitalize() for kind in received}
    kinds.update(KINDS)
    rows = [(NotificationPreference.EVERY_OTHER_KIND, "Every kind not listed below")]
    rows += sorted(kinds.items(), key=lambda item: item[1])
    current = dict(
        NotificationPreference.objects.filter(user=request.user).values_list("kind", "delivery")
    )
    if request.method == "POST":
        known = {kind for kind, _ in rows}
        errors = []
        for kind in known:
            wanted = request.POST.get(f"delivery-{kind}")
            if wanted is None or current.get(kind) == wanted:
                continue
            if wanted not in Delivery.values:
                errors.append(kind)
                continue
            notification_preference_set(actor=request.user, kind=kind, delivery=wanted)
        if not errors:
            from django.contrib import messages

            messages.success(request, "Notification preferences saved.")
            return redirect("notification_preferences")
    return render(
        request,
        "core/notification_preferences.html",
        {
            "rows": [
                (kind, label, current.get(kind, current.get("*", Delivery.EMAIL)))
                for kind, label in rows
            ],
            "choices": Delivery.choices,
        },
    )
