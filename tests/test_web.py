import pytest
from django.urls import reverse

from jaring.accounts.models import User
from jaring.accounts.rules import RoleCode
from jaring.demo.seed import DEMO_PASSWORD, setup_demo
from tests.conftest import BENGKALIS, SIAK


def test_pages_are_in_indonesian_by_default_even_for_english_browsers(riau_regions, client):
    page = client.get(reverse("login"))
    assert page.status_code == 200
    assert 'lang="id"' in page.text and "Masuk" in page.text
    english_browser = client.get(reverse("login"), headers={"accept-language": "en-US,en"})
    assert 'lang="id"' in english_browser.text and "Masuk" in english_browser.text
    client.cookies["django_language"] = "en"
    chosen = client.get(reverse("login"))
    assert 'lang="en"' in chosen.text and "Log in" in chosen.text
    client.cookies["django_language"] = "xx"
    assert 'lang="id"' in client.get(reverse("login")).text


def test_language_switch_persists(riau_regions, client):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert 'lang="en"' in client.get(reverse("login")).text


def test_home_shows_the_users_region_and_role(bengkalis_operator, client):
    client.force_login(bengkalis_operator)
    page = client.get(reverse("home"))
    assert "Kabupaten Bengkalis" in page.text and "Riau" in page.text
    assert "Operator" in page.text


def test_navigation_follows_roles(make_user, client):
    operator = make_user("op", RoleCode.OPERATOR, BENGKALIS)
    client.force_login(operator)
    page = client.get(reverse("home"))
    assert reverse("regions:index") in page.text
    assert reverse("admin:index") not in page.text


def test_bengkalis_tree_is_browsable_down_to_villages(bengkalis_operator, client):
    client.force_login(bengkalis_operator)
    regency = client.get(reverse("regions:detail", args=[BENGKALIS]))
    assert reverse("regions:detail", args=["14.03.01"]) in regency.text
    district = client.get(reverse("regions:detail", args=["14.03.01"]))
    assert "Desa Kelebuk" in district.text
    village = client.get(reverse("regions:detail", args=["14.03.01.2022"]))
    assert village.status_code == 200 and "Kecamatan Bengkalis" in village.text


def test_stylesheet_is_served_without_a_cdn(riau_regions, client):
    page = client.get(reverse("login"))
    assert 'href="/static/jaring/jaring.css"' in page.text
    css = client.get("/static/jaring/jaring.css")
    assert css.status_code == 200 and b".topbar" in b"".join(css.streaming_content)


def test_security_headers_and_login_required_for_admin(riau_regions, client):
    page = client.get(reverse("login"))
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get(reverse("admin:index")).status_code == 302


@pytest.fixture
def demo(riau_regions):
    User.objects.filter(username__in=["x"]).delete()
    return setup_demo()


def test_demo_setup_is_idempotent_and_creates_one_user_per_role(demo):
    again = setup_demo()
    assert [u.pk for u, _ in again] == [u.pk for u, _ in demo]
    roles = set()
    for user, _ in again:
        assert user.check_password(DEMO_PASSWORD)
        roles |= set(user.role_assignments.values_list("role", flat=True))
    assert roles == {role.value for role in RoleCode}


def test_regional_admin_manages_only_its_own_users_in_django_admin(demo, client, make_user):
    make_user("op.siak", RoleCode.OPERATOR, SIAK)
    client.force_login(User.objects.get(username="admin.bengkalis"))
    listing = client.get(reverse("admin:accounts_user_changelist"))
    assert listing.status_code == 200
    assert "operator" in listing.text and "op.siak" not in listing.text
    siak_user = User.objects.get(username="op.siak")
    assert client.get(reverse("admin:accounts_user_change", args=[siak_user.pk])).status_code in (
        302,
        404,
    )


def test_demo_registry_and_money_tell_the_seed_story_once(demo, occupations):
    from jaring.demo.seed import import_demo_workers, seed_demo_money
    from jaring.finance.selectors import budget_lines
    from jaring.registry.models import ImportBatch, Worker

    operator = User.objects.get(username="operator")
    finance = User.objects.get(username="keuangan")
    import_demo_workers(operator, workers=300)
    import_demo_workers(operator, workers=300)
    batch = ImportBatch.objects.get()
    assert batch.status == "done" and batch.created_by == operator
    assert batch.rows == 303 and batch.accepted > 270
    # A small budget: 100 workers for a year, of which Rp19.000.000 paid.
    for _ in range(2):
        seed_demo_money(
            finance,
            operator,
            User.objects.get(username="bpjs.duri"),
            allocation=100 * 12 * 16_800,
            paid=19_000_000,
        )
    [line] = budget_lines(finance, 2025)
    assert (line.allocation, line.committed, line.billed, line.paid, line.covered_workers) == (
        20_160_000,
        20_160_000,
        20_160_000,
        19_000_000,
        100,
    )
    seed = Worker.objects.filter(full_name__in=["Rusni", "Bahtiar", "Safri Ismail"])
    assert sorted(seed.values_list("village__name", flat=True)) == [
        "Bantan Tua",
        "Kelebuk",
        "Prapat Tunggal",
    ]
