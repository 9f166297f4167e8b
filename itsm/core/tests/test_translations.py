"""Chinese first, English too: the zh-hans catalog is complete and compiled, and pages and
API answers come in Chinese by default and in English when asked for."""

from __future__ import annotations

import ast
import gettext
import re
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from django.conf import settings
from django.urls import reverse
from django.utils import translation

from itsm.incidents.choices import IncidentStatus
from itsm.incidents.tests.factories import incident_in
from itsm.incidents.tests.ui import UITestCase

LOCALE = Path(settings.LOCALE_PATHS[0])
CHINESE_PO = LOCALE / "zh_Hans" / "LC_MESSAGES" / "django.po"
ENGLISH_PO = LOCALE / "en" / "LC_MESSAGES" / "django.po"

# %(name)s, %(seconds).1f, %s, %%; {field}; and HTML tags such as <b> or </kbd>.
PLACEHOLDER = re.compile(
    r"%\(\w+\)[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrs]|%[-#0 +]*\d*(?:\.\d+)?[sdif%]"
    r"|\{[^{}]*\}|</?[a-z]+>"
)


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str = ""
    msgstr: list[str] = field(default_factory=list)
    flags: set[str] = field(default_factory=set)


def read_po(path: Path) -> list[Entry]:
    """The entries of a PO file, header excluded. Enough of the format for our catalogs:
    flags, msgid, msgid_plural, msgstr and msgstr[n], strings continued on later lines."""
    entries: list[Entry] = []
    entry, key = Entry(), ""
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if not line.strip():
            if entry.msgid:
                entries.append(entry)
            entry, key = Entry(), ""
        elif line.startswith("#,"):
            entry.flags.update(flag.strip() for flag in line[2:].split(","))
        elif line.startswith("#"):
            continue
        else:
            keyword, _, rest = line.partition(" ")
            if keyword.startswith('"'):
                keyword, rest = key, line
            text = ast.literal_eval(rest)
            if keyword.startswith("msgstr"):
                if keyword != key:
                    entry.msgstr.append("")
                entry.msgstr[-1] += text
            elif keyword in ("msgid", "msgid_plural"):
                setattr(entry, keyword, getattr(entry, keyword) + text)
            key = keyword
    return entries


class ChineseCatalogTests(UITestCase):
    def test_every_entry_is_translated_and_none_is_fuzzy(self) -> None:
        entries = read_po(CHINESE_PO)
        self.assertGreater(len(entries), 400)
        untranslated = [e.msgid for e in entries if not all(s.strip() for s in e.msgstr)]
        fuzzy = [e.msgid for e in entries if "fuzzy" in e.flags]
        self.assertEqual(untranslated, [])
        self.assertEqual(fuzzy, [])
        self.assertNotIn("fuzzy", CHINESE_PO.read_text(encoding="utf-8").split("msgid")[0])

    def test_chinese_has_one_plural_form(self) -> None:
        self.assertIn('"Plural-Forms: nplurals=1; plural=0;\\n"', CHINESE_PO.read_text("utf-8"))
        for entry in read_po(CHINESE_PO):
            if entry.msgid_plural:
                self.assertEqual(len(entry.msgstr), 1, entry.msgid)

    def test_each_translation_keeps_the_placeholders_and_tags_of_its_msgid(self) -> None:
        for entry in read_po(CHINESE_PO):
            expected = Counter(PLACEHOLDER.findall(entry.msgid_plural or entry.msgid))
            for msgstr in entry.msgstr:
                with self.subTest(msgid=entry.msgid):
                    self.assertEqual(Counter(PLACEHOLDER.findall(msgstr)), expected)

    def test_the_compiled_catalog_holds_every_translation(self) -> None:
        with (CHINESE_PO.with_suffix(".mo")).open("rb") as mo:
            compiled = gettext.GNUTranslations(mo)
        for entry in read_po(CHINESE_PO):
            with self.subTest(msgid=entry.msgid):
                if entry.msgid_plural:
                    for n in (1, 2):
                        self.assertEqual(
                            compiled.ngettext(entry.msgid, entry.msgid_plural, n), entry.msgstr[0]
                        )
                else:
                    self.assertEqual(compiled.gettext(entry.msgid), entry.msgstr[0])

    def test_the_english_catalog_has_every_entry_and_two_plural_forms(self) -> None:
        chinese = {(e.msgid, e.msgid_plural) for e in read_po(CHINESE_PO)}
        english = read_po(ENGLISH_PO)
        self.assertEqual({(e.msgid, e.msgid_plural) for e in english}, chinese)
        self.assertEqual([e.msgid for e in english if "fuzzy" in e.flags], [])
        self.assertIn(
            '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"', ENGLISH_PO.read_text("utf-8")
        )
        self.assertTrue(ENGLISH_PO.with_suffix(".mo").exists())


class VisibleText(HTMLParser):
    """The words a person reads on a page: text outside scripts and styles, plus the
    titles, placeholders and labels that browsers and screen readers show."""

    SHOWN_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt")

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self.hidden += 1
        self.parts.extend(v or "" for k, v in attrs if k in self.SHOWN_ATTRIBUTES)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self.hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


# Latin words a Chinese page may show: the other language's name, product and system
# names, file formats, key caps, record numbers and the test personas' user names and codes.
ALLOWED_LATIN = {
    "English", "ITSM", "IT", "HIS", "PACS", "API", "INC", "Ctrl", "Enter", "Tab", "Excel", "CSV",
    "EMR", "LIS", "RIS", "VPN", "PDF", "Office", "MB",
    "agent", "engineer", "vendor", "other_vendor", "manager", "admin", "nurse", "doctor",
    "PRN", "ED",
}  # fmt: skip


class PageLanguageTests(UITestCase):
    def english_words(self, url: str) -> set[str]:
        response = self.client.get(url)
        self.assertEqual(response.status_code, 200, url)
        words = set(re.findall(r"[A-Za-z_]{2,}", visible_text(response.content.decode())))
        return words - ALLOWED_LATIN

    def test_the_login_page_is_chinese_by_default_and_english_when_asked(self) -> None:
        chinese = self.client.get(reverse("login"))
        self.assertContains(chinese, '<html lang="zh-hans">')
        self.assertContains(chinese, "医院IT服务管理")
        self.assertEqual(self.english_words(reverse("login")), set())
        english = self.client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en")
        self.assertContains(english, '<html lang="en">')
        self.assertContains(english, "Hospital ITSM")
        # The only Chinese on the English page is the name of the other language.
        text = visible_text(english.content.decode()).replace("简体中文", "")
        self.assertIsNone(re.search(r"[\u4e00-\u9fff]", text), text)

    def test_the_desk_pages_show_no_english_in_chinese(self) -> None:
        incident = incident_in(self, IncidentStatus.IN_PROGRESS)
        self.login(self.agent)
        for url in (
            reverse("incidents:incident_list"),
            reverse("incidents:incident_detail", args=[incident.pk]),
            reverse("incidents:incident_create"),
            reverse("notification_list"),
        ):
            with self.subTest(url=url):
                self.assertEqual(self.english_words(url), set())

    def test_the_portal_shows_no_english_in_chinese(self) -> None:
        incident = incident_in(self, IncidentStatus.RESOLVED)
        self.login(self.nurse)
        for url in (
            reverse("portal:home"),
            reverse("portal:incident_create"),
            reverse("portal:incident_detail", args=[incident.pk]),
        ):
            with self.subTest(url=url):
                self.assertEqual(self.english_words(url), set())


class ApiLanguageTests(UITestCase):
    def test_an_unauthenticated_requests_error_follows_accept_language(self) -> None:
        chinese = self.api(None).get("/api/incidents/")
        english = self.api(None).get("/api/incidents/", HTTP_ACCEPT_LANGUAGE="en")
        self.assertEqual(chinese.status_code, 401)
        self.assertEqual(english.status_code, 401)
        message = "Authentication credentials were not provided."  # DRF's own catalog
        self.assertEqual(english.data["detail"], message)
        with translation.override("zh-hans"):
            self.assertEqual(chinese.data["detail"], translation.gettext(message))
        self.assertRegex(str(chinese.data["detail"]), r"[\u4e00-\u9fff]")
