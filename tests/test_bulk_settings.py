"""core.bulk's transaction-local settings: set for a block, restored after it, and never in the
way of the error of a statement that failed inside it."""

import pytest
from django.db import DataError, connection, transaction

from jaring.core.bulk import LOOKUP_SETTINGS, bulk_settings, set_local

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL settings; elsewhere nothing is set"
)


def setting(name: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting(%s)", [name])
        return cursor.fetchone()[0]


@pytest.mark.django_db
def test_settings_hold_inside_the_block_and_are_restored_after_it():
    with transaction.atomic():
        before = setting("random_page_cost")
        assert before != LOOKUP_SETTINGS["random_page_cost"]
        with bulk_settings(LOOKUP_SETTINGS):
            assert setting("random_page_cost") == LOOKUP_SETTINGS["random_page_cost"]
        assert setting("random_page_cost") == before
        previous = setting("work_mem")
        assert previous != "7MB"
        assert set_local({"work_mem": "7MB"}) == {"work_mem": previous}
        assert setting("work_mem") == "7MB"


@pytest.mark.django_db
def test_a_failed_statement_inside_surfaces_its_own_error():
    with transaction.atomic():
        with pytest.raises(DataError, match="division by zero"):
            with bulk_settings(), connection.cursor() as cursor:
                cursor.execute("SELECT 1 / 0")
        transaction.set_rollback(True)
