from django.contrib import admin

from jaring.regions.models import Region


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "parent", "population_total"]
    list_filter = ["level"]
    search_fields = ["code", "name"]
    readonly_fields = ["code", "name", "level", "parent"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False  # Regions come only from the Kemendagri reference file.

    def has_delete_permission(self, request, obj=None):
        return False
