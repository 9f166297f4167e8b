"""Seed the national table of statutory days from chinese-calendar (2004 to the last year
it covers).

chinese-calendar's `holidays` holds each published holiday period day by day, including
the weekend days that fall inside it (2026-10-03 and -04 of National Day), but no ordinary
weekends; its `workdays` holds only the adjusted working days (调休), all of them weekend
days. Both are stored as published: a weekend day inside a holiday period matters to a
calendar that works weekends. The library's English names become the Chinese names the
State Council uses. Days an administrator already entered for a date are kept.

Reversing deletes the rows of the dates the library lists."""

from __future__ import annotations

from typing import Any

from django.db import migrations

NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "Mid-autumn Festival": "中秋节",
    "National Day": "国庆节",
    "Anti-Fascist 70th Day": "抗战胜利纪念日",
}


def _library_days() -> list[tuple[Any, str, str]]:
    import chinese_calendar

    days = [
        (day, "holiday", NAMES.get(name, name)) for day, name in chinese_calendar.holidays.items()
    ]
    days += [
        (day, "workday", NAMES.get(name, name)) for day, name in chinese_calendar.workdays.items()
    ]
    return sorted(days)


def seed(apps: Any, schema_editor: Any) -> None:
    StatutoryDay = apps.get_model("sla", "StatutoryDay")
    db = schema_editor.connection.alias
    taken = set(StatutoryDay.objects.using(db).values_list("date", flat=True))
    StatutoryDay.objects.using(db).bulk_create(
        StatutoryDay(date=day, kind=kind, name=name)
        for day, kind, name in _library_days()
        if day not in taken
    )


def unseed(apps: Any, schema_editor: Any) -> None:
    StatutoryDay = apps.get_model("sla", "StatutoryDay")
    db = schema_editor.connection.alias
    dates = [day for day, _kind, _name in _library_days()]
    StatutoryDay.objects.using(db).filter(date__in=dates).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("sla", "0001_calendars_agreements_clocks"),
    ]

    operations = [
        migrations.RunPython(seed, unseed),
    ]
