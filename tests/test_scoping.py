"""A Bengkalis user sees Bengkalis and nothing else: by list, detail and search."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from jaring.accounts.models import RoleAssignment, User
from jaring.accounts.rules import Capability, RoleCode
from jaring.accounts.scoping import RegionScope, scope_for, scoped
from jaring.accounts.services import grant_role
from jaring.regions import selectors
from jaring.regions.models import Region
from tests.conftest import BENGKALIS, PASSWORD, RIAU, SIAK


def codes_seen(user):
    return set(selectors.visible_regions(user).values_list("code", flat=True))


def test_bengkalis_operator_lists_only_bengkalis(bengkalis_operator):
    seen = codes_seen(bengkalis_operator)
    assert BENGKALIS in seen
    assert all(code == BENGKALIS or code.startswith(BENGKALIS + ".") for code in seen)
    assert len(seen) == Region.objects.filter(code__startswith=BENGKALIS + ".").count() + 1
    assert [r.code for r in selectors.top_regions(bengkalis_operator)] == [BENGKALIS]


def test_bengkalis_operator_gets_404_for_a_siak_region_in_every_view(bengkalis_operator, client):
    client.force_login(bengkalis_operator)
    assert client.get(reverse("regions:detail", args=[SIAK])).status_code == 404
    assert client.get(reverse("regions:detail", args=["14.08.01"])).status_code == 404
    assert client.get(reverse("regions:detail", args=[RIAU])).status_code == 404
    own = client.get(reverse("regions:detail", args=[BENGKALIS]))
    assert own.status_code == 200
    assert "Bantan" in own.text and "Kabupaten Siak" not in own.text


def test_search_never_returns_a_foreign_region(bengkalis_operator, siak_operator, client):
    # "Siak" names Kabupaten Siak and Kecamatan Siak Kecil (in Bengkalis).
    results = {r.code for r in selectors.search_regions(bengkalis_operator, "siak")}
    assert results == {"14.03.12"}
    client.force_login(bengkalis_operator)
    page = client.get(reverse("regions:search"), {"q": "SIAK"})
    assert "Siak Kecil" in page.text and "Kabupaten Siak" not in page.text
    siak_results = {r.code for r in selectors.search_regions(siak_operator, "siak")}
    assert SIAK in siak_results and "14.03.12" not in siak_results


def test_region_index_lists_only_the_users_roots(bengkalis_operator, client):
    client.force_login(bengkalis_operator)
    page = client.get(reverse("regions:index"))
    assert "Kabupaten Bengkalis" in page.text
    assert "Kabupaten Siak" not in page.text and "Riau" not in page.text


def test_provincial_admin_sees_both_regencies_national_viewer_sees_all(make_user):
    riau_admin = make_user("admin.riau", RoleCode.PROVINCIAL_ADMIN, RIAU)
    national = make_user("nasional", RoleCode.NATIONAL_VIEWER, None)
    assert {BENGKALIS, SIAK} <= codes_seen(riau_admin)
    assert "11" not in codes_seen(riau_admin)
    assert codes_seen(national) == set(Region.objects.values_list("code", flat=True))


def test_user_without_roles_and_anonymous_see_nothing(make_user, client):
    from django.contrib.auth.models import AnonymousUser

    loner = make_user("tanpa.peran")
    assert codes_seen(loner) == set()
    assert codes_seen(AnonymousUser()) == set()
    client.force_login(loner)
    assert client.get(reverse("regions:detail", args=[BENGKALIS])).status_code == 404


def test_anonymous_is_sent_to_login(riau_regions, client):
    response = client.get(reverse("regions:detail", args=[BENGKALIS]))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_inactive_user_loses_its_scope(bengkalis_operator):
    bengkalis_operator.is_active = False
    assert scope_for(bengkalis_operator, Capability.VIEW_REGIONS).is_empty


def test_scope_is_per_capability(make_user):
    national = make_user("nasional", RoleCode.NATIONAL_VIEWER, None)
    assert scope_for(national, Capability.VIEW_REPORTS).everything
    assert scope_for(national, Capability.VIEW_PERSONAL_DATA).is_empty


def test_two_roles_in_two_regions_add_up(make_user):
    user = make_user("dua", RoleCode.OPERATOR, BENGKALIS)
    grant_role(user, RoleCode.AUDITOR, Region.objects.get(code=SIAK))
    user = User.objects.get(pk=user.pk)  # fresh scope cache
    assert scope_for(user, Capability.VIEW_REGIONS).codes == {BENGKALIS, SIAK}
    assert scope_for(user, Capability.MANAGE_REGISTRY).codes == {BENGKALIS}
    assert scope_for(user, Capability.VIEW_AUDIT_LOG).codes == {SIAK}


def test_grant_outside_own_region_is_refused(make_user):
    admin = make_user("admin.bengkalis", RoleCode.REGENCY_ADMIN, BENGKALIS)
    target = make_user("baru")
    with pytest.raises(PermissionDenied):
        grant_role(target, RoleCode.OPERATOR, Region.objects.get(code=SIAK), granted_by=admin)
    with pytest.raises(PermissionDenied):
        grant_role(target, RoleCode.NATIONAL_VIEWER, None, granted_by=admin)
    assignment = grant_role(
        target, RoleCode.OPERATOR, Region.objects.get(code="14.03.01"), granted_by=admin
    )
    assert assignment.granted_by == admin


def test_role_levels_are_enforced(make_user):
    user = make_user("salah.level")
    with pytest.raises(ValidationError):
        grant_role(user, RoleCode.REGENCY_ADMIN, Region.objects.get(code=RIAU))
    with pytest.raises(ValidationError):
        grant_role(user, RoleCode.OPERATOR, None)


def test_database_refuses_a_national_operator(make_user):
    user = make_user("db.guard")
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleAssignment.objects.create(user=user, role=RoleCode.OPERATOR.value, region=None)


def test_grant_role_is_idempotent(make_user):
    user = make_user("sekali", RoleCode.OPERATOR, BENGKALIS)
    grant_role(user, RoleCode.OPERATOR, Region.objects.get(code=BENGKALIS))
    assert user.role_assignments.count() == 1


class ScopeMatchesSqlTest(HypothesisTestCase):
    """The Python test (``contains``) and the SQL filter (``q``) agree on every region."""

    @classmethod
    def setUpTestData(cls):
        import tempfile
        from pathlib import Path

        from jaring.regions.services import load_regions
        from tests.conftest import write_region_subset

        with tempfile.TemporaryDirectory() as tmp:
            load_regions(write_region_subset(Path(tmp) / "r.csv", {"14"}))
        cls.all_codes = sorted(Region.objects.values_list("code", flat=True))

    @settings(max_examples=25, deadline=None)
    @given(st.data())
    def test_scope_sql_equals_python(self, data):
        roots = data.draw(st.sets(st.sampled_from(self.all_codes), max_size=4))
        scope = RegionScope.of(roots)
        via_sql = set(Region.objects.filter(scope.q("code")).values_list("code", flat=True))
        via_python = {code for code in self.all_codes if scope.contains(code)}
        assert via_sql == via_python


def test_scoped_uses_the_models_scope_field(bengkalis_operator):
    from jaring.accounts.models import OrgUnit

    OrgUnit.objects.create(name="Disnaker Siak", kind="pemda", region_id=SIAK)
    OrgUnit.objects.create(name="Kemnaker", kind="ministry", region=None)
    visible_offices = scoped(OrgUnit.objects.all(), bengkalis_operator, Capability.VIEW_REGIONS)
    assert {office.region_id for office in visible_offices} == {BENGKALIS}


def test_login_with_password_works(bengkalis_operator, client):
    response = client.post("/akun/masuk/", {"username": "op.bengkalis", "password": PASSWORD})
    assert response.status_code == 302 and client.session["_auth_user_id"] == str(
        bengkalis_operator.pk
    )


def test_repeated_wrong_passwords_lock_the_login(bengkalis_operator, client):
    for _ in range(5):
        wrong = client.post("/akun/masuk/", {"username": "op.bengkalis", "password": "salah"})
        assert wrong.status_code in {200, 429} and "_auth_user_id" not in client.session
    locked = client.post("/akun/masuk/", {"username": "op.bengkalis", "password": PASSWORD})
    assert locked.status_code == 429 and "Login dikunci" in locked.text
    assert "_auth_user_id" not in client.session
    # Another account on the same computer is not punished for it.
    other = client.post("/akun/masuk/", {"username": "lain", "password": "salah"})
    assert other.status_code == 200
