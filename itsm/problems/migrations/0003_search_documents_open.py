"""Mark the search documents of open problems as open."""

from typing import Any

from django.db import migrations

from itsm.problems.choices import OPEN_PROBLEM_STATUSES


def mark_open(apps: Any, schema_editor: Any) -> None:
    content_type = apps.get_model("contenttypes", "ContentType").objects.filter(
        app_label="problems", model="problem"
    )
    open_ids = apps.get_model("problems", "Problem").objects.filter(
        status__in=OPEN_PROBLEM_STATUSES
    )
    apps.get_model("core", "SearchDocument").objects.filter(
        content_type__in=content_type, object_id__in=open_ids.values("pk")
    ).update(open=True)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0007_search_candidates"),
        ("problems", "0002_trend_kind_category"),
    ]

    operations = [migrations.RunPython(mark_open, migrations.RunPython.noop)]
