"""Mark the search documents of open incidents as open (the suggestions while logging a
call look among these alone)."""

from typing import Any

from django.db import migrations

from itsm.incidents.choices import OPEN_STATUSES


def mark_open(apps: Any, schema_editor: Any) -> None:
    content_type = apps.get_model("contenttypes", "ContentType").objects.filter(
        app_label="incidents", model="incident"
    )
    open_ids = apps.get_model("incidents", "Incident").objects.filter(status__in=OPEN_STATUSES)
    apps.get_model("core", "SearchDocument").objects.filter(
        content_type__in=content_type, object_id__in=open_ids.values("pk")
    ).update(open=True)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0007_search_candidates"),
        ("incidents", "0006_seed_incident_categories"),
    ]

    operations = [migrations.RunPython(mark_open, migrations.RunPython.noop)]
