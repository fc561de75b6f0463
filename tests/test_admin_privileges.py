"""Issue #13, finding 1: nobody raises privileges through the Django admin.

Only a superuser changes is_superuser, is_staff, groups and permissions, and not its own; a
regional admin manages only users, offices and role assignments of its region, and grants only
the roles it may grant (accounts.rules.GRANTABLE_ROLES); nobody edits its own role assignments.
"""

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from jaring.accounts.models import OrgUnit, RoleAssignment, User
from jaring.accounts.rules import RoleCode
from jaring.accounts.services import grant_role
from jaring.demo.seed import _regional_admin_group
from jaring.regions.models import Region
from tests.conftest import BENGKALIS, SIAK

KECAMATAN = "14.03.01"


@pytest.fixture
def admin_bengkalis(make_user):
    admin = make_user("admin.bengkalis", RoleCode.REGENCY_ADMIN, BENGKALIS, is_staff=True)
    admin.groups.add(_regional_admin_group())
    return admin


@pytest.fixture
def operator(make_user):
    return make_user("operator", RoleCode.OPERATOR, BENGKALIS)


def _user_form(user: User, assignments: list[tuple[str, str]] = (), **changes) -> dict:
    """The change form of ``user`` as the browser posts it, plus new role rows and changes."""
    existing = list(user.role_assignments.order_by("pk"))
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on",
        "org_unit": user.org_unit_id,
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": "08:00:00",
        "role_assignments-TOTAL_FORMS": str(len(existing) + len(assignments)),
        "role_assignments-INITIAL_FORMS": str(len(existing)),
        "role_assignments-MIN_NUM_FORMS": "0",
        "role_assignments-MAX_NUM_FORMS": "1000",
    }
    for index, assignment in enumerate(existing):
        prefix = f"role_assignments-{index}-"
        data |= {
            prefix + "id": assignment.pk,
            prefix + "user": user.pk,
            prefix + "role": assignment.role,
            prefix + "region": assignment.region_id or "",
        }
    for index, (role, region) in enumerate(assignments, start=len(existing)):
        prefix = f"role_assignments-{index}-"
        data |= {prefix + "user": user.pk, prefix + "role": role, prefix + "region": region}
    return data | changes


ESCALATION = {
    "is_superuser": "on",
    "is_staff": "on",
    "groups": [],  # filled in by the tests with a group id
    "user_permissions": [],
}


def _escalation():
    group = Group.objects.create(name="Semua")
    return ESCALATION | {"groups": [group.pk]}


def test_regional_admin_cannot_make_itself_superuser(admin_bengkalis, client):
    client.force_login(admin_bengkalis)
    url = reverse("admin:accounts_user_change", args=[admin_bengkalis.pk])
    page = client.get(url)
    assert page.status_code == 200 and 'name="is_superuser"' not in page.text
    client.post(url, _user_form(admin_bengkalis, **_escalation()))
    admin_bengkalis.refresh_from_db()
    assert not admin_bengkalis.is_superuser
    assert list(admin_bengkalis.groups.values_list("name", flat=True)) == ["Administrator wilayah"]
    # and then still cannot read another kabupaten
    client.force_login(admin_bengkalis)
    assert client.get(f"/laporan/{SIAK}/").status_code == 404


def test_regional_admin_cannot_raise_a_users_privileges(admin_bengkalis, operator, client):
    client.force_login(admin_bengkalis)
    url = reverse("admin:accounts_user_change", args=[operator.pk])
    response = client.post(url, _user_form(operator, first_name="Baru", **_escalation()))
    assert response.status_code == 302
    operator.refresh_from_db()
    assert operator.first_name == "Baru"  # the rest of the form is still the admin's to edit
    assert not (operator.is_superuser or operator.is_staff or operator.groups.exists())


def test_superuser_grants_privileges_to_others_but_not_to_itself(make_user, operator, client):
    root = make_user("root", is_superuser=True, is_staff=True)
    client.force_login(root)
    client.post(
        reverse("admin:accounts_user_change", args=[operator.pk]),
        _user_form(operator, is_staff="on"),
    )
    operator.refresh_from_db()
    assert operator.is_staff
    own = client.get(reverse("admin:accounts_user_change", args=[root.pk]))
    assert own.status_code == 200 and 'name="is_superuser"' not in own.text


def test_users_of_another_kabupaten_are_not_found(admin_bengkalis, make_user, client):
    foreign = make_user("op.siak", RoleCode.OPERATOR, SIAK)
    client.force_login(admin_bengkalis)
    url = reverse("admin:accounts_user_change", args=[foreign.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, _user_form(foreign, first_name="Diubah")).status_code == 404
    foreign.refresh_from_db()
    assert foreign.first_name == ""
    listing = client.get(reverse("admin:accounts_user_changelist"))
    assert "op.siak" not in listing.text


def test_users_holding_roles_the_admin_may_not_grant_are_not_its_to_manage(
    admin_bengkalis, make_user, client
):
    peer = make_user("admin2.bengkalis", RoleCode.REGENCY_ADMIN, BENGKALIS)
    client.force_login(admin_bengkalis)
    assert client.get(reverse("admin:accounts_user_change", args=[peer.pk])).status_code == 404


def test_regional_admin_cannot_grant_a_role_it_may_not_grant(admin_bengkalis, operator, client):
    client.force_login(admin_bengkalis)
    url = reverse("admin:accounts_user_change", args=[operator.pk])
    for role, region in [
        (RoleCode.REGENCY_ADMIN, BENGKALIS),
        (RoleCode.AUDITOR, KECAMATAN),
        (RoleCode.OPERATOR, SIAK),
    ]:
        response = client.post(url, _user_form(operator, [(role.value, region)]))
        assert response.status_code == 200  # the form again, with the refusal
        assert set(operator.role_assignments.values_list("role", "region_id")) == {
            (RoleCode.OPERATOR.value, BENGKALIS)
        }
    response = client.post(
        reverse("admin:accounts_roleassignment_add"),
        {"user": operator.pk, "role": RoleCode.REGENCY_ADMIN.value, "region": BENGKALIS},
    )
    assert response.status_code == 200
    assert not RoleAssignment.objects.filter(user=operator, role="regency_admin").exists()
    with pytest.raises(PermissionDenied):
        grant_role(
            operator,
            RoleCode.REGENCY_ADMIN,
            Region.objects.get(code=BENGKALIS),
            granted_by=admin_bengkalis,
        )


def test_regional_admin_grants_what_it_may(admin_bengkalis, operator, client):
    client.force_login(admin_bengkalis)
    response = client.post(
        reverse("admin:accounts_user_change", args=[operator.pk]),
        _user_form(operator, [(RoleCode.CLAIMS_OFFICER.value, KECAMATAN)]),
    )
    assert response.status_code == 302
    granted = operator.role_assignments.get(role=RoleCode.CLAIMS_OFFICER.value)
    assert (granted.region_id, granted.granted_by) == (KECAMATAN, admin_bengkalis)


def test_nobody_edits_its_own_role_assignments(admin_bengkalis, make_user, client):
    client.force_login(admin_bengkalis)
    before = set(admin_bengkalis.role_assignments.values_list("role", "region_id"))
    own = reverse("admin:accounts_user_change", args=[admin_bengkalis.pk])
    client.post(own, _user_form(admin_bengkalis, [(RoleCode.OPERATOR.value, BENGKALIS)]))
    client.post(
        reverse("admin:accounts_roleassignment_add"),
        {"user": admin_bengkalis.pk, "role": RoleCode.OPERATOR.value, "region": BENGKALIS},
    )
    mine = admin_bengkalis.role_assignments.get()
    change = reverse("admin:accounts_roleassignment_change", args=[mine.pk])
    assert client.get(change).status_code == 404
    assert set(admin_bengkalis.role_assignments.values_list("role", "region_id")) == before
    root = make_user("root", is_superuser=True, is_staff=True)
    with pytest.raises(PermissionDenied):
        grant_role(root, RoleCode.OPERATOR, Region.objects.get(code=BENGKALIS), granted_by=root)


def test_offices_are_created_only_inside_the_admins_region(admin_bengkalis, client):
    client.force_login(admin_bengkalis)
    add = reverse("admin:accounts_orgunit_add")
    for region in (SIAK, ""):
        assert (
            client.post(add, {"name": "Kantor Baru", "kind": "pemda", "region": region}).status_code
            == 200
        )
    assert not OrgUnit.objects.filter(name="Kantor Baru").exists()
    response = client.post(add, {"name": "Kantor Baru", "kind": "pemda", "region": KECAMATAN})
    assert response.status_code == 302
