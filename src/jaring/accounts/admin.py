"""Django admin for accounts, narrowed to the admin's own region like every other read."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from jaring.accounts.models import OrgUnit, RoleAssignment, User
from jaring.accounts.rules import Capability
from jaring.accounts.scoping import scope_for


def _manage_scope(request):
    return scope_for(request.user, Capability.MANAGE_USERS)


class RoleAssignmentInline(admin.TabularInline):
    model = RoleAssignment
    fk_name = "user"
    extra = 0
    fields = ["role", "region", "granted_by", "granted_at"]
    readonly_fields = ["granted_by", "granted_at"]
    autocomplete_fields = ["region"]


@admin.register(OrgUnit)
class OrgUnitAdmin(SimpleHistoryAdmin):
    list_display = ["name", "kind", "region"]
    list_filter = ["kind"]
    search_fields = ["name"]
    autocomplete_fields = ["region"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(_manage_scope(request).q("region__code"))


@admin.register(User)
class JaringUserAdmin(UserAdmin, SimpleHistoryAdmin):
    inlines = [RoleAssignmentInline]
    list_display = ["username", "first_name", "last_name", "org_unit", "is_active"]
    list_select_related = ["org_unit"]
    fieldsets = (*UserAdmin.fieldsets, (_("Organisation"), {"fields": ["org_unit"]}))
    autocomplete_fields = ["org_unit"]

    def get_queryset(self, request):
        scope = _manage_scope(request)
        visible = super().get_queryset(request)
        if scope.everything:
            return visible
        return visible.filter(scope.q("org_unit__region__code") & Q(is_superuser=False))

    def save_formset(self, request, form, formset, change):
        scope = _manage_scope(request)
        for assignment in formset.save(commit=False):
            code = assignment.region_id
            if not scope.everything and (code is None or not scope.contains(code)):
                raise ValidationError(_("You can only grant roles within your own region."))
            assignment.granted_by = assignment.granted_by or request.user
            assignment.full_clean()
            assignment.save()
        for removed in formset.deleted_objects:
            removed.delete()
