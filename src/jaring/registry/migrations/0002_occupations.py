from django.db import migrations

from jaring.registry.migrations._occupations_data import add_occupations


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]
    operations = [migrations.RunPython(add_occupations, migrations.RunPython.noop)]
