from django.contrib import admin

from scorecards.models import MEASURE_FIELDS, ScorecardSnapshot


@admin.register(ScorecardSnapshot)
class ScorecardSnapshotAdmin(admin.ModelAdmin):
    """Read-only: snapshots are written by the monthly task and never changed."""

    list_display = ("study_site", "month", *MEASURE_FIELDS[:4])
    list_filter = ("month",)
    list_select_related = ("study_site", "study_site__study")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
