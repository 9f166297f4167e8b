from django.db import migrations


def seed_matrix(apps, schema_editor):
    PriorityRule = apps.get_model("core", "PriorityRule")
    for impact in (1, 2, 3):
        for urgency in (1, 2, 3):
            PriorityRule.objects.get_or_create(
                impact=impact, urgency=urgency, defaults={"priority": impact + urgency - 1}
            )


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(seed_matrix, migrations.RunPython.noop)]
