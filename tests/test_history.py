from django.urls import reverse

from jaring.accounts.models import RoleAssignment, User
from jaring.accounts.rules import RoleCode
from tests.conftest import BENGKALIS


def test_role_changes_made_in_the_admin_record_who_and_when(make_user, client):
    admin = make_user("admin.bengkalis", RoleCode.REGENCY_ADMIN, BENGKALIS, is_staff=True)
    from jaring.demo.seed import _regional_admin_group

    admin.groups.add(_regional_admin_group())
    target = make_user("calon.operator")
    target.org_unit = admin.org_unit
    target.save()
    client.force_login(admin)
    url = reverse("admin:accounts_user_change", args=[target.pk])
    form = client.get(url)
    assert form.status_code == 200
    data = {
        "username": target.username,
        "first_name": "Calon",
        "last_name": "Operator",
        "email": "",
        "is_active": "on",
        "org_unit": target.org_unit_id,
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": "2025-09-22",
        "date_joined_1": "08:00:00",
        "role_assignments-TOTAL_FORMS": "1",
        "role_assignments-INITIAL_FORMS": "0",
        "role_assignments-MIN_NUM_FORMS": "0",
        "role_assignments-MAX_NUM_FORMS": "1000",
        "role_assignments-0-role": RoleCode.OPERATOR.value,
        "role_assignments-0-region": "14.03.01",
        "role_assignments-0-user": target.pk,
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]

    assignment = RoleAssignment.objects.get(user=target)
    assert (assignment.role, assignment.region_id, assignment.granted_by) == (
        RoleCode.OPERATOR.value,
        "14.03.01",
        admin,
    )
    record = assignment.history.get()
    assert record.history_type == "+" and record.history_user == admin
    user_record = User.objects.get(pk=target.pk).history.latest()
    assert user_record.history_user == admin and user_record.first_name == "Calon"
