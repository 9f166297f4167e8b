"""Every icon a template names is in the sprite we serve (a subset of Bootstrap Icons): a
missing one renders as an empty space, with no error anywhere."""

from __future__ import annotations

import re
from pathlib import Path

from django.test import SimpleTestCase

import itsm

PACKAGE = Path(itsm.__file__).parent
SPRITE = PACKAGE / "static" / "vendor" / "bootstrap-icons" / "icons.svg"
ICON_TAG = re.compile(r"""\{%\s*icon\s+['"]([a-z0-9-]+)['"]""")


class IconSpriteTests(SimpleTestCase):
    def test_every_icon_named_in_a_template_is_in_the_sprite(self) -> None:
        symbols = set(re.findall(r'<symbol id="([a-z0-9-]+)"', SPRITE.read_text()))
        named = {
            (name, str(template.relative_to(PACKAGE)))
            for template in (PACKAGE / "templates").rglob("*.html")
            for name in ICON_TAG.findall(template.read_text(encoding="utf-8"))
        }
        self.assertGreater(len(named), 20)
        missing = sorted((name, where) for name, where in named if name not in symbols)
        self.assertEqual(missing, [])
