"""Attachments: accepted by content (never by name or claimed type), limited in size,
stored under the data directory with a random name, audited, and served only to whoever
may see the record, with a safe type — through the web pages and the API alike."""

from __future__ import annotations

import hashlib
import io
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from PIL import Image

from itsm.core.attachments import add_attachment
from itsm.core.models import Attachment, AuditEntry
from itsm.core.testing import PASSWORD, BaseTestCase
from itsm.incidents.choices import IncidentStatus
from itsm.incidents.models import Incident
from itsm.incidents.tests.factories import incident_in, log


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 30, 30)).save(buffer, "PNG")
    return buffer.getvalue()


def xlsx() -> bytes:
    buffer = io.BytesIO()
    book = openpyxl.Workbook()
    book.active["A1"] = "资产编号"
    book.save(buffer)
    return buffer.getvalue()


def docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/'
            '2006/content-types"><Override PartName="/word/document.xml" ContentType="'
            'application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"'
            "/></Types>",
        )
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def plain_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "x")
    return buffer.getvalue()


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 1016
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 200
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><circle r="4"/></svg>'
LOG = "2026-11-26 08:00:01 HIS 接口超时 timeout=30s\n".encode()


def upload(name: str, content: bytes, content_type: str = "application/octet-stream") -> Any:
    return SimpleUploadedFile(name, content, content_type=content_type)


class MediaRootMixin(BaseTestCase):
    """Each test stores its files in a directory of its own, removed afterwards."""

    def setUp(self) -> None:
        super().setUp()
        media = tempfile.TemporaryDirectory()
        self.addCleanup(media.cleanup)
        self.media_root = Path(media.name)
        override = self.settings(MEDIA_ROOT=self.media_root)
        override.enable()
        self.addCleanup(override.disable)


class AddAttachmentTests(MediaRootMixin):
    def setUp(self) -> None:
        super().setUp()
        self.incident = log(self.agent, requester=self.nurse)

    def test_a_picture_is_stored_under_a_random_name_with_its_digest_and_audited(self) -> None:
        content = png()
        attachment = add_attachment(
            self.incident, upload("../../分诊台 照片.png", content, "text/html"), actor=self.nurse
        )
        self.assertEqual(attachment.name, "分诊台 照片.png")
        self.assertEqual(attachment.media_type, "image/png")  # not the claimed text/html
        self.assertEqual(attachment.size, len(content))
        self.assertEqual(attachment.sha256, hashlib.sha256(content).hexdigest())
        self.assertEqual(attachment.uploaded_by, self.nurse)
        self.assertEqual(attachment.target, self.incident)
        stored = Path(attachment.file.path)
        self.assertTrue(stored.is_relative_to(self.media_root / "attachments"))
        self.assertRegex(stored.name, r"^[0-9a-f]{32}\.png$")
        self.assertEqual(stored.read_bytes(), content)
        entry = AuditEntry.objects.get(object_id=self.incident.pk, action="attach")
        self.assertEqual(entry.actor, self.nurse)
        self.assertEqual(entry.note, "分诊台 照片.png")

    def test_documents_are_recognised_by_their_content(self) -> None:
        cases = [
            ("报告.pdf", PDF, "application/pdf"),
            (
                "资产.xlsx",
                xlsx(),
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ),
            (
                "方案.docx",
                docx(),
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            ),
            ("旧表格.xls", OLE2, "application/vnd.ms-excel"),
            ("接口.log", LOG, "text/plain; charset=utf-8"),
            ("科室.csv", "科室,电话\n急诊科,8001\n".encode("gb18030"), "text/csv; charset=gb18030"),
            # A picture is a picture whatever it is called.
            ("scan", png(), "image/png"),
        ]
        for name, content, media_type in cases:
            with self.subTest(name=name):
                attachment = add_attachment(self.incident, upload(name, content), actor=self.agent)
                self.assertEqual(attachment.media_type, media_type)

    def test_markup_scripts_and_programs_are_refused_whatever_their_name(self) -> None:
        cases = [
            ("page.html", HTML),
            ("page.txt", HTML),  # markup dressed as text
            ("logo.svg", SVG),
            ("logo.png", SVG),
            ("app.js", b"alert(1)"),
            ("setup.exe", EXE),
            ("报告.pdf", EXE),
            ("方案.docx", plain_zip()),  # a zip is not a Word document
            ("setup.msi", OLE2),  # an Office container only under an Office name
            ("binary.txt", b"abc\x00def"),
            ("latin1.txt", "café".encode("utf-16")),
        ]
        for name, content in cases:
            with self.subTest(name=name):
                with self.assertRaises(ValidationError) as caught:
                    add_attachment(
                        self.incident, upload(name, content, "image/png"), actor=self.agent
                    )
                self.assertIn("file", caught.exception.message_dict)
        self.assertFalse(Attachment.objects.exists())
        self.assertFalse(AuditEntry.objects.filter(action="attach").exists())
        self.assertEqual(list(self.media_root.rglob("*.*")), [])

    def test_too_big_and_empty_files_are_refused(self) -> None:
        with self.settings(ITSM_UPLOAD_MAX_BYTES=1024):
            with self.assertRaises(ValidationError) as caught:
                add_attachment(
                    self.incident, upload("大.log", b"x" * 1025, "text/plain"), actor=self.agent
                )
            self.assertIn("1.0\xa0KB", caught.exception.message_dict["file"][0])
            add_attachment(self.incident, upload("ok.log", b"x" * 1024), actor=self.agent)
        with self.assertRaises(ValidationError):
            add_attachment(self.incident, upload("empty.txt", b""), actor=self.agent)
        self.assertEqual(Attachment.objects.count(), 1)

    def test_a_closed_incident_takes_no_more_files(self) -> None:
        incident = incident_in(self, IncidentStatus.CLOSED)
        with self.assertRaises(ValidationError):
            add_attachment(incident, upload("a.png", png()), actor=self.nurse)


class AttachmentPageTests(MediaRootMixin):
    def setUp(self) -> None:
        super().setUp()
        self.incident = log(self.agent, requester=self.nurse)

    def upload_url(self, incident: Incident) -> str:
        content_type = ContentType.objects.get_for_model(Incident)
        return reverse("attachment_upload", args=[content_type.pk, incident.pk])

    def attach(self, name: str, content: bytes, *, actor: Any = None) -> Attachment:
        return add_attachment(self.incident, upload(name, content), actor=actor or self.nurse)

    def test_the_requester_attaches_a_file_on_the_portal_and_sees_it_listed(self) -> None:
        self.client.login(username="nurse", password=PASSWORD)
        portal = reverse("portal:incident_detail", args=[self.incident.pk])
        page = self.client.get(portal)
        self.assertContains(page, 'action="%s"' % self.upload_url(self.incident))
        response = self.client.post(
            self.upload_url(self.incident), {"file": upload("打印机.png", png()), "next": portal}
        )
        self.assertRedirects(response, portal, fetch_redirect_response=False)
        attachment = Attachment.objects.get()
        page = self.client.get(portal)
        self.assertContains(page, "打印机.png")
        self.assertContains(page, attachment.get_absolute_url())

    def test_the_desk_page_shows_the_card_and_a_refused_file_gets_its_reason(self) -> None:
        self.agent.language = "zh-hans"
        self.agent.save(update_fields=["language"])
        self.client.login(username="agent", password=PASSWORD)
        page = self.client.get(self.incident.get_absolute_url())
        self.assertContains(page, "data-attachments")
        response = self.client.post(
            self.upload_url(self.incident),
            {"file": upload("evil.html", HTML, "text/html")},
            HTTP_HX_REQUEST="true",
        )
        self.assertEqual(response.status_code, 400)
        with translation.override("zh-hans"):
            reason = translation.gettext(
                "This type of file is not accepted. Attach pictures (PNG, JPEG, GIF, WebP),"
                " PDF, Word, Excel or PowerPoint documents, or plain text (.txt, .log, .csv)."
            )
        self.assertContains(response, reason, status_code=400)
        self.assertContains(response, "is-invalid", status_code=400)
        self.assertFalse(Attachment.objects.exists())
        response = self.client.post(
            self.upload_url(self.incident),
            {"file": upload("log.txt", LOG, "text/plain")},
            HTTP_HX_REQUEST="true",
        )
        self.assertContains(response, "log.txt")
        response = self.client.post(self.upload_url(self.incident), {}, HTTP_HX_REQUEST="true")
        self.assertEqual(response.status_code, 400)

    def test_a_body_over_the_limit_is_refused_unread_with_413(self) -> None:
        self.client.login(username="nurse", password=PASSWORD)
        big = upload("录像.log", b"x" * (2 * 1024 * 1024))
        with self.settings(ITSM_UPLOAD_MAX_BYTES=512 * 1024):  # + 1 MB for the form
            response = self.client.post(self.upload_url(self.incident), {"file": big})

        self.assertEqual(response.status_code, 413)
        with translation.override("zh-hans"):
            reason = translation.gettext(
                "The request is larger than %(size)d MB: send a smaller file."
            ) % {"size": 1}
        self.assertContains(response, reason, status_code=413)
        self.assertFalse(Attachment.objects.exists())

    def test_nobody_attaches_to_a_record_he_cannot_see(self) -> None:
        for user in ("doctor", "other_vendor", "outsider"):
            with self.subTest(user=user):
                self.client.login(username=user, password=PASSWORD)
                response = self.client.post(
                    self.upload_url(self.incident), {"file": upload("a.png", png())}
                )
                self.assertEqual(response.status_code, 404)
        content_type = ContentType.objects.get_for_model(AuditEntry)
        self.client.login(username="admin", password=PASSWORD)
        response = self.client.post(
            reverse("attachment_upload", args=[content_type.pk, 1]),
            {"file": upload("a.png", png())},
        )
        self.assertEqual(response.status_code, 404)  # not a record that takes files
        self.client.logout()
        response = self.client.post(
            self.upload_url(self.incident), {"file": upload("a.png", png())}
        )
        self.assertEqual(response.status_code, 302)
        self.assertIn(reverse("login"), response["Location"])
        self.assertFalse(Attachment.objects.exists())

    def test_a_picture_is_served_inline_sandboxed_with_its_stored_type(self) -> None:
        content = png()
        attachment = self.attach("分诊台 照片.png", content)
        self.client.login(username="nurse", password=PASSWORD)
        response = self.client.get(attachment.get_absolute_url())
        self.assertEqual(response.status_code, 200)
        self.assertEqual(b"".join(response.streaming_content), content)  # type: ignore[attr-defined]
        self.assertEqual(response["Content-Type"], "image/png")
        self.assertEqual(response["X-Content-Type-Options"], "nosniff")
        self.assertTrue(response["Content-Security-Policy"].startswith("sandbox"))
        self.assertEqual(
            response["Content-Disposition"],
            "inline; filename=\"___ __.png\"; filename*=UTF-8''"
            "%E5%88%86%E8%AF%8A%E5%8F%B0%20%E7%85%A7%E7%89%87.png",
        )

    def test_documents_and_text_are_downloaded_not_shown(self) -> None:
        workbook = self.attach("资产.xlsx", xlsx())
        text = self.attach('a"b.log', LOG)
        self.client.login(username="engineer", password=PASSWORD)
        response = self.client.get(workbook.get_absolute_url())
        self.assertTrue(response["Content-Disposition"].startswith("attachment;"))
        response = self.client.get(text.get_absolute_url())
        self.assertEqual(response["Content-Type"], "text/plain; charset=utf-8")
        self.assertEqual(
            response["Content-Disposition"],
            "attachment; filename=\"a_b.log\"; filename*=UTF-8''a%22b.log",
        )

    def test_only_those_who_see_the_record_read_its_files(self) -> None:
        attachment = self.attach("a.png", png())
        for user, status in (
            ("nurse", 200),
            ("agent", 200),
            ("doctor", 404),
            ("other_vendor", 404),
            ("outsider", 404),
        ):
            with self.subTest(user=user):
                self.client.login(username=user, password=PASSWORD)
                self.assertEqual(self.client.get(attachment.get_absolute_url()).status_code, status)
        self.client.logout()
        self.assertEqual(self.client.get(attachment.get_absolute_url()).status_code, 302)
        self.client.login(username="nurse", password=PASSWORD)
        self.assertEqual(self.client.get(reverse("attachment", args=[999999])).status_code, 404)

    def test_no_url_serves_the_data_directory(self) -> None:
        attachment = self.attach("a.png", png())
        self.client.login(username="admin", password=PASSWORD)
        for prefix in ("/media/", "/static/", "/"):
            with self.subTest(prefix=prefix):
                response = self.client.get(prefix + str(attachment.file.name))
                self.assertEqual(response.status_code, 404)


class AttachmentApiTests(MediaRootMixin):
    def setUp(self) -> None:
        super().setUp()
        self.incident = log(self.agent, requester=self.nurse)
        self.url = "/api/incidents/%d/attachments/" % self.incident.pk

    def test_the_requester_uploads_and_lists_through_the_api(self) -> None:
        client = self.api(self.nurse)
        response = client.post(
            self.url, {"file": upload("故障截图.png", png())}, format="multipart"
        )
        self.assertEqual(response.status_code, 201, response.content)
        self.assertEqual(response.data["name"], "故障截图.png")
        self.assertEqual(response.data["media_type"], "image/png")
        self.assertEqual(response.data["uploaded_by"], self.nurse.pk)
        self.assertTrue(response.data["url"].endswith(Attachment.objects.get().get_absolute_url()))
        listing = client.get(self.url)
        self.assertEqual(listing.status_code, 200)
        self.assertEqual([item["name"] for item in listing.data], ["故障截图.png"])

    def test_a_refused_file_is_a_400_on_the_file_field_in_the_users_language(self) -> None:
        self.nurse.language = "zh-hans"
        self.nurse.save(update_fields=["language"])
        client = self.api(self.nurse)
        response = client.post(self.url, {"file": upload("setup.exe", EXE)}, format="multipart")
        self.assertEqual(response.status_code, 400)
        with translation.override("zh-hans"):
            reason = translation.gettext(
                "This type of file is not accepted. Attach pictures (PNG, JPEG, GIF, WebP),"
                " PDF, Word, Excel or PowerPoint documents, or plain text (.txt, .log, .csv)."
            )
        self.assertEqual(response.json(), {"file": [reason]})
        with self.settings(ITSM_UPLOAD_MAX_BYTES=10):
            response = client.post(self.url, {"file": upload("a.log", LOG)}, format="multipart")
        self.assertEqual(response.status_code, 400)
        self.assertIn("file", response.json())
        response = client.post(self.url, {}, format="multipart")
        self.assertEqual(response.status_code, 400)
        self.assertIn("file", response.json())
        self.assertFalse(Attachment.objects.exists())

    def test_a_declared_body_over_the_limit_is_a_413_before_it_is_read(self) -> None:
        client = self.api(self.nurse)
        declared = str(21 * 1024 * 1024 + 1)  # 20 MB and a form's 1 MB, and a byte
        response = client.post(
            self.url, {"file": upload("a.png", png())}, format="multipart", CONTENT_LENGTH=declared
        )
        self.assertEqual(response.status_code, 413)
        self.assertEqual(set(response.json()), {"detail"})
        self.assertFalse(Attachment.objects.exists())

    def test_invisible_incidents_are_404(self) -> None:
        for user in (self.doctor, self.other_vendor):
            with self.subTest(user=user.username):
                client = self.api(user)
                self.assertEqual(client.get(self.url).status_code, 404)
                response = client.post(
                    self.url, {"file": upload("a.png", png())}, format="multipart"
                )
                self.assertEqual(response.status_code, 404)
        self.assertEqual(self.api(None).get(self.url).status_code, 401)
        self.assertFalse(Attachment.objects.exists())
