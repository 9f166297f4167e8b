"""`itsm check --deploy` is clean with the production settings of docs/deployment.md, run
as an administrator runs it: a separate process reading only the environment. And no
template holds code the Content-Security-Policy those settings send would refuse (the
browser test, tests/browser/test_csp.py, checks the pages themselves)."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
import tempfile
from pathlib import Path

from django.test import SimpleTestCase

import itsm

PRODUCTION = {
    "ITSM_DEBUG": "0",
    "ITSM_SECRET_KEY": secrets.token_urlsafe(50),
    "ITSM_SECURE_COOKIES": "1",
    "ITSM_HSTS_SECONDS": "31536000",
    "ITSM_SSL_REDIRECT": "1",
}


def check_deploy(**environment: str) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory() as var_dir:
        env = {
            name: value
            for name, value in os.environ.items()
            # The browser tests' DJANGO_ALLOW_ASYNC_UNSAFE is theirs, not a deployment's.
            if not name.startswith("ITSM_")
            and name not in ("DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE")
        }
        env.update(ITSM_VAR_DIR=var_dir, **environment)
        return subprocess.run(
            [sys.executable, "-m", "itsm", "check", "--deploy", "--fail-level", "WARNING"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )


class DeployCheckTests(SimpleTestCase):
    def test_production_settings_pass_every_deployment_check(self) -> None:
        result = check_deploy(**PRODUCTION)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn("no issues", result.stdout)

    def test_the_check_does_find_what_production_settings_leave_out(self) -> None:
        """The negative control: plain-HTTP settings are reported, so a pass above means
        the settings are right, not that the check looked at nothing."""
        result = check_deploy(ITSM_DEBUG="0", ITSM_SECRET_KEY=PRODUCTION["ITSM_SECRET_KEY"])
        self.assertNotEqual(result.returncode, 0)
        for check in ("security.W004", "security.W008", "security.W012", "security.W016"):
            self.assertIn(check, result.stderr)


TEMPLATES = Path(itsm.__file__).parent / "templates"
# What the Content-Security-Policy refuses: inline script elements, event-handler
# attributes, javascript: URLs, htmx's evaluated attributes, <style> elements.
INLINE_CODE = {
    "inline <script>": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I),
    "event handler": re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I),
    "javascript: URL": re.compile(r"javascript:", re.I),
    "hx-on": re.compile(r"\bhx-on[:-]", re.I),
    "js: value": re.compile(r"""hx-va(?:ls|rs)=['"]\s*(?:js|javascript):""", re.I),
    "<style> element": re.compile(r"<style[\s>]", re.I),
}
# Not pages a browser shows under the site's policy: e-mails (read in mail clients) and
# the sources of PDFs (rendered by WeasyPrint on the server, *_pdf.html).
NOT_PAGES = {"notifications/email.html"}


class TemplatePolicyTests(SimpleTestCase):
    def test_no_template_holds_code_the_policy_would_refuse(self) -> None:
        found = [
            (str(path.relative_to(TEMPLATES)), kind)
            for path in sorted(TEMPLATES.rglob("*.html"))
            if str(path.relative_to(TEMPLATES)) not in NOT_PAGES
            and not path.name.endswith("_pdf.html")
            for kind, pattern in INLINE_CODE.items()
            if pattern.search(path.read_text(encoding="utf-8"))
        ]
        self.assertEqual(found, [])

    def test_the_scan_does_find_inline_code(self) -> None:
        samples = [
            "<script>alert(1)</script>",
            '<button onclick="go()">',
            '<a href="javascript:go()">',
            '<div hx-on:click="go()">',
            "<div hx-vals='js:{a: go()}'>",
            "<style>p {}</style>",
        ]
        for sample, (kind, pattern) in zip(samples, INLINE_CODE.items(), strict=True):
            with self.subTest(kind=kind):
                self.assertIsNotNone(pattern.search(sample))
        self.assertIsNone(INLINE_CODE["inline <script>"].search('<script src="/a.js" defer>'))
