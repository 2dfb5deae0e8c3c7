import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import Role
from core.exceptions import ApplicationError, PermissionDenied
from queries import services
from queries.models import DataQuery, QueryMessage
from tests.factories import StudySiteFactory, SubjectFactory, member

pytestmark = pytest.mark.django_db

HEADER = "subject_id,visit_code,form,field,text,external_id\n"


def upload(text: str, name: str = "export.csv", encoding: str = "utf-8") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")


def csv_for(tenant, *, other_site_subject: str = "") -> str:
    subject = tenant.subject.subject_identifier
    return (
        HEADER
        + f"{subject},SCR,Vital signs,Weight,Weight missing,EDC-1\n"  # line 2: ok
        + f'{subject},,Labs,,"Potassium 9.1, please confirm",EDC-2\n'  # line 3: ok
        + f"{subject},,Labs,,,EDC-3\n"  # line 4: no text
        + "NOPE-999,,Labs,,Check,EDC-4\n"  # line 5: unknown subject
        + f"{subject},V9,Labs,,Check,EDC-5\n"  # line 6: no such visit
        + f"{subject},,Labs,,Again,EDC-1\n"  # line 7: repeated in the file
        + "\n"  # line 8: blank, skipped
        + (f"{other_site_subject},,Labs,,Check,EDC-6\n" if other_site_subject else "")
    )


def test_valid_rows_are_imported_and_bad_ones_reported_by_line(tenant):
    report = services.data_query_import(
        actor=tenant.cra, study=tenant.study, uploaded_file=upload(csv_for(tenant))
    )

    assert report.imported == 2 and report.rows == 6
    assert [(e.line, e.reason) for e in report.errors] == [
        (4, "missing text"),
        (5, "subject NOPE-999 is not in this study"),
        (6, f"subject {tenant.subject.subject_identifier} has no visit V9"),
        (7, "external id EDC-1 already appears on line 2"),
    ]
    first, second = DataQuery.objects.order_by("external_id")
    assert (first.external_id, first.subject_visit, first.text) == (
        "EDC-1",
        tenant.subject_visit,
        "Weight missing",
    )
    assert second.text == "Potassium 9.1, please confirm" and second.status == "open"
    assert QueryMessage.objects.filter(action="raise").count() == 2


def test_importing_the_same_export_twice_imports_nothing_twice(tenant, data_manager):
    services.data_query_import(
        actor=tenant.cra, study=tenant.study, uploaded_file=upload(csv_for(tenant))
    )
    again = services.data_query_import(
        actor=data_manager, study=tenant.study, uploaded_file=upload(csv_for(tenant))
    )

    assert again.imported == 0
    assert DataQuery.objects.count() == 2
    assert [e.line for e in again.errors if "already imported" in e.reason] == [2, 3, 7]


def test_a_cra_cannot_import_for_a_site_they_do_not_monitor(tenant, data_manager):
    other_site = StudySiteFactory(study=tenant.study)
    elsewhere = SubjectFactory(study_site=other_site, subject_identifier="ELSE-1")
    text = csv_for(tenant, other_site_subject=elsewhere.subject_identifier)

    report = services.data_query_import(
        actor=tenant.cra, study=tenant.study, uploaded_file=upload(text)
    )
    assert (report.errors[-1].line, report.errors[-1].reason) == (
        9,
        "subject ELSE-1 is at a site where you may not raise queries",
    )
    # The data manager sees every site of the CRO's study.
    by_dm = services.data_query_import(
        actor=data_manager,
        study=tenant.study,
        uploaded_file=upload(HEADER + "ELSE-1,,Labs,,Check,EDC-6\n"),
    )
    assert by_dm.imported == 1 and by_dm.errors == []


@pytest.mark.parametrize("who", ["coordinator", "pm", "sponsor_viewer", "finance"])
def test_only_cras_and_data_managers_import(tenant, who):
    with pytest.raises(PermissionDenied):
        services.data_query_import(
            actor=getattr(tenant, who), study=tenant.study, uploaded_file=upload(csv_for(tenant))
        )
    assert not DataQuery.objects.exists()


def test_another_cros_data_manager_cannot_import_into_the_study(tenant, other_tenant):
    outsider = member(other_tenant.cro, Role.DATA_MANAGER)
    with pytest.raises(PermissionDenied):
        services.data_query_import(
            actor=outsider, study=tenant.study, uploaded_file=upload(csv_for(tenant))
        )


@pytest.mark.parametrize(
    ("content", "encoding", "message"),
    [
        ("", "utf-8", "The file is empty."),
        ("subject,form\nX,Y\n", "utf-8", "missing: subject_id, text, external_id"),
        (HEADER + "S-1,,Formulário,,Vérifier ß,E1\n", "utf-16", "UTF-8"),
    ],
)
def test_unreadable_files_are_refused_whole(tenant, content, encoding, message):
    with pytest.raises(ApplicationError) as error:
        services.data_query_import(
            actor=tenant.cra, study=tenant.study, uploaded_file=upload(content, encoding=encoding)
        )
    assert message in error.value.message
    assert not DataQuery.objects.exists()


def test_the_file_size_is_capped(tenant, settings):
    settings.QUERY_IMPORT_MAX_BYTES = 100
    with pytest.raises(ApplicationError) as error:
        services.data_query_import(
            actor=tenant.cra, study=tenant.study, uploaded_file=upload(csv_for(tenant))
        )
    assert "too large" in error.value.message
    assert not DataQuery.objects.exists()


def test_the_row_count_is_capped_and_then_nothing_is_imported(tenant, settings):
    settings.QUERY_IMPORT_MAX_ROWS = 3
    rows = "".join(
        f"{tenant.subject.subject_identifier},,Labs,,Check {n},X-{n}\n" for n in range(4)
    )
    with pytest.raises(ApplicationError) as error:
        services.data_query_import(
            actor=tenant.cra, study=tenant.study, uploaded_file=upload(HEADER + rows)
        )
    assert "more than 3 rows" in error.value.message
    assert not DataQuery.objects.exists()


def test_large_files_are_read_in_chunks_with_a_constant_number_of_lookups(
    tenant, django_assert_max_num_queries
):
    """1,200 rows (three chunks): the lookups per chunk do not grow with its rows."""
    subject = tenant.subject.subject_identifier
    rows = "".join(f"{subject},SCR,Labs,,Check {n},BULK-{n}\n" for n in range(1200))
    with django_assert_max_num_queries(40):
        report = services.data_query_import(
            actor=tenant.cra, study=tenant.study, uploaded_file=upload(HEADER + rows)
        )
    assert report.imported == 1200 and report.errors == []
    assert QueryMessage.objects.count() == 1200
