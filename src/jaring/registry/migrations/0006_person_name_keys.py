"""Worker.name_key becomes core.text.person_key: name_key without word breaks.

The old key was the folded name with every run of other characters turned into one space, so
the new one is exactly the old one without spaces ("ma ruf" → "maruf"): one UPDATE.
"""

from django.db import migrations

FORWARD = "UPDATE registry_worker SET name_key = REPLACE(name_key, ' ', '')"


class Migration(migrations.Migration):
    dependencies = [("registry", "0005_region_integrity")]

    operations = [migrations.RunSQL(FORWARD, migrations.RunSQL.noop)]
