"""The administrator's documents stay in step with the code they describe."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings
from django.test import SimpleTestCase

PROJECT = Path(settings.BASE_DIR).parent


class ConfigurationDocTests(SimpleTestCase):
    def test_every_environment_variable_read_by_the_settings_is_documented(self) -> None:
        source = (PROJECT / "itsm" / "settings.py").read_text(encoding="utf-8")
        read = {"ITSM_" + name for name in re.findall(r'env(?:_bool|_list)?\("(\w+)"', source)}
        doc = (PROJECT / "docs" / "configuration.md").read_text(encoding="utf-8")
        documented = set(re.findall(r"^\| `(ITSM_\w+)` \|", doc, re.M))
        self.assertTrue(read, "no ITSM_ variables found in settings.py")
        self.assertEqual(read - documented, set(), "add these to docs/configuration.md")
        self.assertEqual(documented - read, set(), "settings.py no longer reads these")


class DependencyDocTests(SimpleTestCase):
    def test_every_dependency_has_a_written_reason(self) -> None:
        import tomllib

        project = tomllib.loads((PROJECT / "pyproject.toml").read_text(encoding="utf-8"))
        specs = list(project["project"]["dependencies"])
        for extra in project["project"].get("optional-dependencies", {}).values():
            specs += extra
        names = {re.split(r"[\[<>=!~ ;]", spec, maxsplit=1)[0].lower() for spec in specs}
        doc = (PROJECT / "docs" / "decisions" / "dependencies.md").read_text(encoding="utf-8")
        explained = {name.lower() for name in re.findall(r"^\| `([\w.-]+)` \|", doc, re.M)}
        self.assertEqual(
            names - explained,
            set(),
            "give each new dependency a line in docs/decisions/dependencies.md",
        )
