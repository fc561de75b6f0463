"""Django admin for accounts, narrowed to what the admin may manage like every other read.

Only a superuser changes privileges (``PRIVILEGE_FIELDS``), and nobody its own; a regional
admin sees only users, offices and role assignments of its region, and grants only the roles
``accounts.rules.GRANTABLE_ROLES`` allows it (``services.grant_refusal``, checked in the forms).
A record outside that is a 404, as everywhere else.
"""

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied
from django.forms.models import BaseInlineFormSet
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from jaring.accounts import selectors
from jaring.accounts.models import OrgUnit, RoleAssignment, User
from jaring.accounts.rules import Capability, RoleCode, grantable_by
from jaring.accounts.scoping import roles_of, scope_for
from jaring.accounts.services import grant_refusal

PRIVILEGE_FIELDS = ("is_superuser", "is_staff", "groups", "user_permissions")


def _may_change_privileges(request, user) -> bool:
    return request.user.is_superuser and (user is None or user.pk != request.user.pk)


class ScopedAdminMixin:
    """A foreign object is a 404, and foreign keys offer only what the admin may manage."""

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        raise Http404(object_id)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "region" and not request.user.is_superuser:
            scope = scope_for(request.user, Capability.MANAGE_USERS)
            kwargs["queryset"] = db_field.remote_field.model.objects.filter(scope.q("code"))
        elif db_field.name == "org_unit":
            kwargs["queryset"] = selectors.manageable_offices(request.user)
        elif db_field.name == "user":
            kwargs["queryset"] = selectors.manageable_users(request.user).exclude(
                pk=request.user.pk
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "role" and not request.user.is_superuser:
            allowed = {role.value for role in grantable_by(roles_of(request.user))}
            kwargs["choices"] = [(v, label) for v, label in db_field.choices if v in allowed]
        return super().formfield_for_choice_field(db_field, request, **kwargs)


def _check_grant(granter, assignment, original=None) -> None:
    """Raise a form error unless ``granter`` may grant the new and revoke the old assignment."""
    for candidate in filter(None, (assignment, original)):
        if candidate.role not in RoleCode:
            continue
        user = candidate.user if candidate.user_id else None
        refusal = grant_refusal(granter, user, RoleCode(candidate.role), candidate.region_id)
        if refusal:
            raise forms.ValidationError(refusal)


class RoleAssignmentFormSet(BaseInlineFormSet):
    granter = None

    def clean(self):
        super().clean()
        for form in self.forms:
            if form.has_changed() or form in self.deleted_forms:
                original = RoleAssignment.objects.filter(pk=form.instance.pk).first()
                form.instance.user = self.instance
                _check_grant(self.granter, form.instance, original)

    def save_new(self, form, commit=True):
        form.instance.granted_by = self.granter
        return super().save_new(form, commit)


class RoleAssignmentInline(ScopedAdminMixin, admin.TabularInline):
    model = RoleAssignment
    formset = RoleAssignmentFormSet
    fk_name = "user"
    extra = 0
    fields = ["role", "region", "granted_by", "granted_at"]
    readonly_fields = ["granted_by", "granted_at"]
    autocomplete_fields = ["region"]

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.granter = request.user
        return formset

    def _own(self, request, obj) -> bool:
        return obj is not None and obj.pk == request.user.pk

    def has_add_permission(self, request, obj=None):
        return not self._own(request, obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return not self._own(request, obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not self._own(request, obj) and super().has_delete_permission(request, obj)


class RoleAssignmentForm(forms.ModelForm):
    granter = None

    def clean(self):
        cleaned = super().clean()
        wanted = RoleAssignment(
            user=cleaned.get("user"), role=cleaned.get("role"), region=cleaned.get("region")
        )
        original = RoleAssignment.objects.filter(pk=self.instance.pk).first()
        _check_grant(self.granter, wanted, original)
        return cleaned


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    form = RoleAssignmentForm
    list_display = ["user", "role", "region", "granted_by", "granted_at"]
    list_filter = ["role"]
    search_fields = ["user__username", "region__code", "region__name"]
    fields = ["user", "role", "region", "granted_by", "granted_at"]
    readonly_fields = ["granted_by", "granted_at"]
    autocomplete_fields = ["user", "region"]

    def get_queryset(self, request):
        return selectors.manageable_assignments(request.user)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.granter = request.user
        return form

    def save_model(self, request, obj, form, change):
        obj.granted_by = obj.granted_by or request.user
        super().save_model(request, obj, form, change)


@admin.register(OrgUnit)
class OrgUnitAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    list_display = ["name", "kind", "region"]
    list_filter = ["kind"]
    search_fields = ["name"]
    autocomplete_fields = ["region"]

    def get_queryset(self, request):
        if request.user.is_superuser:
            return super().get_queryset(request)
        return selectors.manageable_offices(request.user)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if not request.user.is_superuser:  # a national office is the superuser's to create
            form.base_fields["region"].required = True
        return form


@admin.register(User)
class JaringUserAdmin(ScopedAdminMixin, UserAdmin, SimpleHistoryAdmin):
    inlines = [RoleAssignmentInline]
    list_display = ["username", "first_name", "last_name", "org_unit", "is_active"]
    list_select_related = ["org_unit"]
    fieldsets = (*UserAdmin.fieldsets, (_("Organisation"), {"fields": ["org_unit"]}))
    add_fieldsets = (*UserAdmin.add_fieldsets, (_("Organisation"), {"fields": ["org_unit"]}))
    autocomplete_fields = ["org_unit"]

    def get_queryset(self, request):
        return super().get_queryset(request) & selectors.manageable_users(request.user)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if not request.user.is_superuser:  # a user without an office would be nobody's
            form.base_fields["org_unit"].required = True
        return form

    def get_readonly_fields(self, request, obj=None):
        fixed = () if _may_change_privileges(request, obj) else PRIVILEGE_FIELDS
        return (*super().get_readonly_fields(request, obj), *fixed)

    def save_model(self, request, obj, form, change):
        if change and not _may_change_privileges(request, obj) and _privileges_changed(obj):
            raise PermissionDenied
        super().save_model(request, obj, form, change)


def _privileges_changed(user: User) -> bool:
    stored = User.objects.filter(pk=user.pk).values("is_superuser", "is_staff").first()
    return stored != {"is_superuser": user.is_superuser, "is_staff": user.is_staff}
