"""Region names with a mark inside a word ("Sawang Ba'u") get the new name_key ("sawang bau")."""

from django.db import migrations

from jaring.core.text import INNER_MARKS, name_key


def recompute(apps, schema_editor):
    Region = apps.get_model("regions", "Region")
    marked = Region.objects.none()
    for mark in INNER_MARKS:
        marked = marked | Region.objects.filter(name__contains=mark)
    changed = []
    for region in marked:
        region.name_key = name_key(region.name)
        changed.append(region)
    Region.objects.bulk_update(changed, ["name_key"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [("regions", "0001_initial")]

    operations = [migrations.RunPython(recompute, migrations.RunPython.noop)]
