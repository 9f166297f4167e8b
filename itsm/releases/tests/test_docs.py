from __future__ import annotations

import re
from io import StringIO
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.test import SimpleTestCase

from itsm.releases.workflow import RELEASE_WORKFLOW

DOC = Path(settings.BASE_DIR).parent / "docs" / "processes" / "releases.md"


class ReleaseDocTests(SimpleTestCase):
    def test_the_doc_shows_the_diagram_of_the_code(self) -> None:
        out = StringIO()
        call_command("workflow_diagram", "releases", "--fence", stdout=out)
        blocks = re.findall(r"^```mermaid\n.*?^```\n", DOC.read_text(encoding="utf-8"), re.M | re.S)
        self.assertEqual(blocks, [out.getvalue()])

    def test_the_doc_lists_every_transition(self) -> None:
        text = DOC.read_text(encoding="utf-8")
        for transition in RELEASE_WORKFLOW:
            with self.subTest(transition=transition.name):
                self.assertIn("| `%s` |" % transition.name, text)
