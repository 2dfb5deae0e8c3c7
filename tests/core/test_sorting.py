"""The shared UI helpers: sortable lists (core/sorting.py), their column headers, one colour
per status word, breadcrumbs, empty states and form fields wired for screen readers."""

import pytest
from django import forms
from django.template import Context, Template
from django.template.loader import render_to_string
from django.test import RequestFactory

from core.forms import StyledForm
from core.sorting import Sorting, parse, sort_queryset
from core.templatetags.tb import STATUS_COLOURS
from tests.factories import StudyFactory
from trials.models import Study

KEYS = {"protocol": "protocol_number", "title": ("title", "protocol_number")}


def _get(query: str = ""):
    return RequestFactory().get(f"/studies/{query}")


def test_parse_accepts_whitelisted_keys_in_both_directions():
    assert parse("protocol", KEYS) == ("protocol", False)
    assert parse("-title", KEYS) == ("title", True)
    assert parse(" -title ", KEYS) == ("title", True)


@pytest.mark.parametrize("raw", ["", None, "-", "--title", "pk", "title;drop", "protocol_number"])
def test_parse_refuses_anything_else(raw):
    assert parse(raw, KEYS) is None


@pytest.mark.django_db
def test_sort_queryset_orders_by_the_whitelisted_fields_and_reverses_them():
    for protocol, title in (("B-2", "Alpha"), ("A-1", "Gamma"), ("C-3", "Beta")):
        StudyFactory(protocol_number=protocol, title=title)
    studies = Study.objects.all()

    ordered, sorting = sort_queryset(_get("?sort=protocol"), studies, KEYS)
    assert [s.protocol_number for s in ordered] == ["A-1", "B-2", "C-3"]
    assert sorting == Sorting(key="protocol", descending=False)

    ordered, sorting = sort_queryset(_get("?sort=-title"), studies, KEYS)
    assert [s.title for s in ordered] == ["Gamma", "Beta", "Alpha"]
    assert sorting.value == "-title"


@pytest.mark.django_db
def test_an_unknown_key_keeps_the_selectors_order_or_the_default():
    for protocol in ("B-2", "A-1", "C-3"):
        StudyFactory(protocol_number=protocol)
    studies = Study.objects.order_by("-protocol_number")

    ordered, sorting = sort_queryset(_get("?sort=password"), studies, KEYS)
    assert [s.protocol_number for s in ordered] == ["C-3", "B-2", "A-1"]
    assert sorting.value == "" and sorting.aria_sort("protocol") is None

    ordered, sorting = sort_queryset(_get("?sort=password"), studies, KEYS, default="protocol")
    assert [s.protocol_number for s in ordered] == ["A-1", "B-2", "C-3"]
    assert sorting.aria_sort("protocol") == "ascending"


def test_a_header_click_sorts_ascending_first_then_toggles():
    assert Sorting().next_value("date") == "date"
    assert Sorting(key="date").next_value("date") == "-date"
    assert Sorting(key="date", descending=True).next_value("date") == "date"
    assert Sorting(key="date").next_value("status") == "status"


def _header(query: str, sorting: Sorting | None) -> str:
    template = Template('{% load tb %}{% sort_header "date" "When" "text-end" %}')
    context = {"request": _get(query)}
    if sorting is not None:
        context["sorting"] = sorting
    return template.render(Context(context))


def test_sort_header_marks_the_sorted_column_and_keeps_the_filters_but_not_the_page():
    html = _header("?status=open&page=3&sort=date", Sorting(key="date"))
    assert 'aria-sort="ascending"' in html
    assert 'href="?status=open&amp;sort=-date"' in html
    assert "page=" not in html
    assert 'class="tb-sortable text-end"' in html

    other = _header("?status=open", Sorting(key="status"))
    assert "aria-sort" not in other
    assert 'href="?status=open&amp;sort=date"' in other


def test_sort_header_without_sorting_is_a_plain_column_header():
    html = _header("", None)
    assert html.strip() == '<th scope="col" class="text-end">When</th>'


def test_sort_input_keeps_the_order_when_a_filter_form_is_submitted():
    template = Template("{% load tb %}{% sort_input %}")
    assert template.render(Context({"sorting": Sorting(key="due", descending=True)})) == (
        '<input type="hidden" name="sort" value="-due">'
    )
    assert template.render(Context({"sorting": Sorting()})) == ""


@pytest.mark.parametrize(
    "template",
    [
        "includes/status_badge.html",
        "payments/_badge.html",
        "queries/_status.html",
        "regulatory/_status.html",
        "feasibility/_status.html",
        "safety/includes/status.html",
    ],
)
@pytest.mark.parametrize("status", ["open", "submitted", "approved", "rejected", "draft", "closed"])
def test_every_badge_template_gives_a_status_the_same_colour(template, status):
    html = render_to_string(template, {"value": status, "label": status.title()})
    assert f"text-bg-{STATUS_COLOURS[status]}" in html
    assert f">{status.title()}</span>" in html


def test_an_unknown_status_is_grey_not_an_error():
    html = render_to_string("includes/status_badge.html", {"value": "mystery", "label": "?"})
    assert "text-bg-secondary" in html


@pytest.mark.django_db
def test_breadcrumbs_link_each_level_and_mark_the_current_page():
    study = StudyFactory(protocol_number="MER-1")
    html = Template(
        '{% load tb %}{% breadcrumbs "Studies" "study_list" study.protocol_number study "#"|cat:7 %}'
    ).render(Context({"study": study}))
    assert '<nav aria-label="Breadcrumb"' in html
    assert '<a href="/studies/">Studies</a>' in html
    assert f'<a href="/studies/{study.pk}/">MER-1</a>' in html
    assert '<li class="breadcrumb-item active" aria-current="page">#7</li>' in html


def test_empty_state_says_what_to_do_next():
    html = render_to_string(
        "includes/empty_state.html",
        {
            "message": "No invoices yet.",
            "hint": "Start one and submit it.",
            "action_url": "/payments/invoices/new/",
            "action_label": "New invoice",
        },
    )
    assert "No invoices yet." in html and "Start one and submit it." in html
    assert (
        '<a class="btn btn-sm btn-primary" href="/payments/invoices/new/">New invoice</a>' in html
    )
    assert 'class="card"' in html
    filtered = render_to_string(
        "includes/empty_state.html", {"message": "Nothing matches.", "clear_url": "?", "bare": True}
    )
    assert 'href="?">Clear the filters</a>' in filtered and 'class="card"' not in filtered


class _Form(StyledForm):
    reason = forms.CharField(label="Reason", help_text="Say why.")


def test_a_field_with_an_error_points_its_input_at_the_help_and_the_error():
    form = _Form(data={"reason": ""})
    assert not form.is_valid()
    html = render_to_string("includes/form_fields.html", {"form": form})
    assert '<label class="form-label" for="id_reason">Reason</label>' in html
    assert 'aria-describedby="id_reason_helptext id_reason_error"' in html
    assert 'aria-invalid="true"' in html
    assert 'id="id_reason_helptext">Say why.</div>' in html
    assert 'id="id_reason_error">This field is required.</div>' in html


def test_the_tie_breaker_follows_the_first_column():
    from core.sorting import order_fields

    assert order_fields("due_date", False) == ["due_date", "pk"]
    assert order_fields("due_date", True) == ["-due_date", "-pk"]
    assert order_fields(("-raised_at",), False) == ["-raised_at", "-pk"]
    assert order_fields(("-raised_at",), True) == ["raised_at", "pk"]
    assert order_fields(("status", "-raised_at"), True) == ["-status", "raised_at", "-pk"]
