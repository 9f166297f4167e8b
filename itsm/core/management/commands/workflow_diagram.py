"""`itsm workflow_diagram incidents`: the mermaid state diagram of a process's workflow, drawn
from its Transition table. docs/processes/<process>.md embeds this output verbatim (a test
compares them), so the drawing can never drift from the code."""

from __future__ import annotations

from argparse import ArgumentParser
from importlib import import_module
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.module_loading import import_string

from itsm.core.workflow import Workflow


def find_workflow(name: str) -> Workflow[Any]:
    """A workflow by dotted path (itsm.incidents.workflow.INCIDENT_WORKFLOW), or the one
    workflow in an app's workflow module (incidents)."""
    if "." in name:
        try:
            found = import_string(name)
        except ImportError as error:
            raise CommandError(str(error)) from error
        if not isinstance(found, Workflow):
            raise CommandError("%s is not a Workflow." % name)
        return found
    try:
        module = import_module("itsm.%s.workflow" % name)
    except ImportError as error:
        raise CommandError("The app %r has no workflow module." % name) from error
    workflows = [v for v in vars(module).values() if isinstance(v, Workflow)]
    if len(workflows) != 1:
        raise CommandError(
            "itsm.%s.workflow defines %d workflows; name one by its dotted path."
            % (name, len(workflows))
        )
    return workflows[0]


def mermaid(workflow: Workflow[Any]) -> str:
    """stateDiagram-v2 source: the initial status, one arrow per (source, target) labelled
    with the names of the transitions that take it, and an end marker on every status no
    transition leaves."""
    arrows: dict[tuple[str, str], list[str]] = {}
    statuses = [str(workflow.initial)]
    for transition in workflow:
        for source in transition.sources:
            arrows.setdefault((str(source), str(transition.target)), []).append(transition.name)
            statuses.append(str(source))
        statuses.append(str(transition.target))
    lines = ["stateDiagram-v2", "    [*] --> %s" % workflow.initial]
    lines += [
        "    %s --> %s: %s" % (source, target, ", ".join(names))
        for (source, target), names in arrows.items()
    ]
    leaving = {source for source, _target in arrows}
    lines += [
        "    %s --> [*]" % status for status in dict.fromkeys(statuses) if status not in leaving
    ]
    return "\n".join(lines) + "\n"


class Command(BaseCommand):
    help = "Print the mermaid state diagram of a workflow, drawn from its Transition table."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "workflow",
            help="an app label (incidents) or the dotted path of a Workflow",
        )
        parser.add_argument(
            "--fence", action="store_true", help="wrap the diagram in a ```mermaid block"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        diagram = mermaid(find_workflow(options["workflow"]))
        if options["fence"]:
            diagram = "```mermaid\n%s```\n" % diagram
        self.stdout.write(diagram, ending="")
