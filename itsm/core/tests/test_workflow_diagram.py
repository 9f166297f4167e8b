"""`itsm workflow_diagram`: the state diagram drawn from a workflow table, and the docs that
embed it."""

from __future__ import annotations

import re
from io import StringIO
from pathlib import Path

from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import SimpleTestCase

from itsm.incidents.workflow import INCIDENT_WORKFLOW

DOCS = Path(settings.BASE_DIR).parent / "docs"


def diagram(*args: str) -> str:
    out = StringIO()
    call_command("workflow_diagram", *args, stdout=out)
    return out.getvalue()


class WorkflowDiagramTests(SimpleTestCase):
    def test_it_draws_every_source_and_transition_of_the_table(self) -> None:
        text = diagram("incidents")
        self.assertTrue(text.startswith("stateDiagram-v2\n    [*] --> new\n"))
        arrows = {
            (source, target, name.strip())
            for source, target, names in re.findall(r"^    (\w+) --> (\w+): (.+)$", text, re.M)
            for name in names.split(",")
        }
        expected = {
            (str(source), str(t.target), t.name) for t in INCIDENT_WORKFLOW for source in t.sources
        }
        self.assertEqual(arrows, expected)

    def test_it_ends_the_final_statuses(self) -> None:
        text = diagram("incidents")
        self.assertIn("    closed --> [*]\n", text)
        self.assertIn("    cancelled --> [*]\n", text)
        self.assertNotIn("    resolved --> [*]\n", text)

    def test_a_workflow_can_be_named_by_its_dotted_path(self) -> None:
        self.assertEqual(diagram("itsm.incidents.workflow.INCIDENT_WORKFLOW"), diagram("incidents"))

    def test_fence_wraps_it_for_markdown(self) -> None:
        self.assertEqual(
            diagram("incidents", "--fence"), "```mermaid\n%s```\n" % diagram("incidents")
        )

    def test_it_refuses_what_is_not_a_workflow(self) -> None:
        for name in ("cmdb", "itsm.incidents.workflow.WORKING", "itsm.nothing.here"):
            with self.subTest(name=name), self.assertRaises(CommandError):
                diagram(name)

    def test_the_incident_process_doc_shows_the_diagram_of_the_code(self) -> None:
        doc = (DOCS / "processes" / "incident.md").read_text(encoding="utf-8")
        blocks = re.findall(r"^```mermaid\n.*?^```\n", doc, re.M | re.S)
        self.assertEqual(
            blocks,
            [diagram("incidents", "--fence")],
            "docs/processes/incident.md is out of date: paste the output of"
            " `itsm workflow_diagram incidents --fence` into it.",
        )

    def test_the_incident_process_doc_lists_every_transition_with_its_statuses(self) -> None:
        doc = (DOCS / "processes" / "incident.md").read_text(encoding="utf-8")
        rows = {
            name: (sources, target)
            for name, sources, target in re.findall(
                r"^\| `(\w+)` \| [^|]+ \| ([^|]+) \| ([^|]+) \|", doc, re.M
            )
        }
        for transition in INCIDENT_WORKFLOW:
            with self.subTest(transition=transition.name):
                self.assertIn(transition.name, rows)
                sources, target = rows[transition.name]
                self.assertEqual(
                    [s.strip() for s in sources.split(",")], [str(s) for s in transition.sources]
                )
                self.assertEqual(target.strip(), str(transition.target))
