from django.contrib import admin

from sites.models import SiteProfile


@admin.register(SiteProfile)
class SiteProfileAdmin(admin.ModelAdmin):
    list_display = ("organization", "city", "region", "staff_count", "updated_at")
    list_filter = ("organization__country",)
    search_fields = ("organization__name", "city", "region", "postal_code")
    list_select_related = ("organization",)
    autocomplete_fields = ("organization",)
    readonly_fields = ("updated_at",)
