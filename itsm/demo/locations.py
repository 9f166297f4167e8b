"""The demo hospital's places as location items (campus → building → floor), made from
the "门诊楼3层 收费处" texts the demo's items and departments are written with: the
building and floor become location items, the rest the item's position."""

from __future__ import annotations

import re
from zlib import crc32

from itsm.cmdb.models import ConfigurationItem

CAMPUS_CODE, CAMPUS_NAME = "LOC-MAIN", "院本部"
# The hospital's buildings: (code, name, floors, department that owns the floor's wiring
# closet).
BUILDINGS: tuple[tuple[str, str, int, str], ...] = (
    ("OPD", "门诊楼", 6, "OPD"),
    ("ED", "急诊楼", 3, "ED"),
    ("IPA", "住院楼A座", 13, "IPD"),
    ("IPB", "住院楼B座", 13, "IPD"),
    ("MT", "医技楼", 4, "RAD"),
    ("ADM", "行政楼", 6, "IT"),
    ("LOG", "后勤楼", 2, "LOGI"),
)
_BUILDING_CODES = {name: code for code, name, _floors, _department in BUILDINGS}
_PLACE = re.compile(r"^(?P<building>.+?)(?P<floor>B?\d+)层\s*(?P<rest>.*)$")


class Places:
    """Location items by name, created on first use (idempotent: found again by code)."""

    def __init__(self) -> None:
        self.items = {
            item.code: item for item in ConfigurationItem.objects.filter(code__startswith="LOC-")
        }
        self.campus = self._get(CAMPUS_CODE, CAMPUS_NAME, None, "campus")

    def _get(
        self, code: str, name: str, parent: ConfigurationItem | None, ci_class: str
    ) -> ConfigurationItem:
        item = self.items.get(code)
        if item is None:
            item = ConfigurationItem.objects.create(
                code=code, name=name, ci_class_id=ci_class, location=parent
            )
            self.items[code] = item
        return item

    def resolve(self, text: str) -> tuple[ConfigurationItem | None, str]:
        """The location item and the position a place text names (none for no text)."""
        if not text:
            return None, ""
        match = _PLACE.match(text)
        if match is None:
            return self.campus, text
        building_name, floor = match.group("building"), match.group("floor")
        code = _BUILDING_CODES.get(building_name) or "%05d" % (
            crc32(building_name.encode()) % 100_000
        )
        building = self._get("LOC-" + code, building_name, self.campus, "building")
        floor_item = self._get("%s-%sF" % (building.code, floor), "%s层" % floor, building, "floor")
        return floor_item, match.group("rest")


def place_text(building: str | None, floor: str | None, position: str) -> str:
    """The text a place was made from, for code that reads floors ("门诊楼3层 收费处")."""
    if building and floor:
        return ("%s%s %s" % (building, floor, position)).strip()
    return position
