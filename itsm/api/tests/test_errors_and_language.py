"""One error mapping for every endpoint (400 per field, 401, 403, 404, 405, 409 with a
`detail`), in the language the request asks for."""

from __future__ import annotations

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.http import Http404
from django.utils import translation
from django.utils.translation import gettext

from itsm.api.tests.support import ApiTestCase
from itsm.core.api import exception_handler
from itsm.core.exceptions import StaleVersion, TransitionNotAllowed
from itsm.core.testing import PASSWORD
from itsm.incidents.choices import IncidentStatus
from itsm.incidents.tests.factories import incident_in


def translated(message: str, language: str) -> str:
    with translation.override(language):
        return gettext(message)


class ExceptionHandlerTests(ApiTestCase):
    def handle(self, exc: Exception) -> tuple[int, object]:
        response = exception_handler(exc, {})
        assert response is not None
        return response.status_code, response.data

    def test_service_errors_map_to_one_status_each(self) -> None:
        self.assertEqual(
            self.handle(ValidationError({"title": ["Too long."], "__all__": ["Bad."]})),
            (400, {"title": ["Too long."], "non_field_errors": ["Bad."]}),
        )
        self.assertEqual(
            self.handle(ValidationError("Closed.")), (400, {"non_field_errors": ["Closed."]})
        )
        self.assertEqual(
            self.handle(PermissionDenied("Not yours.")), (403, {"detail": "Not yours."})
        )
        status, data = self.handle(PermissionDenied())
        self.assertEqual(status, 403)
        self.assertTrue(data["detail"])  # type: ignore[index]
        self.assertEqual(self.handle(Http404("x"))[0], 404)
        self.assertEqual(self.handle(ObjectDoesNotExist())[0], 404)
        self.assertEqual(
            self.handle(TransitionNotAllowed("Not now.")), (409, {"detail": "Not now."})
        )
        status, data = self.handle(StaleVersion())
        self.assertEqual(status, 409)
        self.assertEqual(data, {"detail": str(StaleVersion.default_message)})

    def test_other_exceptions_are_left_to_the_server(self) -> None:
        self.assertIsNone(exception_handler(RuntimeError("boom"), {}))


class LanguageTests(ApiTestCase):
    def test_messages_follow_accept_language(self) -> None:
        for language in ("en", "zh-hans"):
            with self.subTest(language=language):
                response = self.api(self.nurse).post(
                    "/api/incidents/", {}, format="json", HTTP_ACCEPT_LANGUAGE=language
                )
                self.assertEqual(response.status_code, 400)
                self.assertEqual(
                    response.data["title"], [translated("This field is required.", language)]
                )
                self.assertEqual(response["Content-Language"], language)
        english = self.api(self.nurse).post(
            "/api/incidents/", {}, format="json", HTTP_ACCEPT_LANGUAGE="en"
        )
        chinese = self.api(self.nurse).post(
            "/api/incidents/", {}, format="json", HTTP_ACCEPT_LANGUAGE="zh-hans"
        )
        self.assertEqual(english.data["title"], ["This field is required."])
        self.assertNotEqual(chinese.data["title"], english.data["title"])

    def test_401_404_and_token_errors_are_translated_too(self) -> None:
        for language in ("en", "zh-hans"):
            with self.subTest(language=language):
                anonymous = self.api(None).get("/api/incidents/", HTTP_ACCEPT_LANGUAGE=language)
                self.assertEqual(
                    anonymous.data["detail"],
                    translated("Authentication credentials were not provided.", language),
                )
                missing = self.api(self.agent).get(
                    "/api/incidents/98765/", HTTP_ACCEPT_LANGUAGE=language
                )
                self.assertEqual(missing.data["detail"], translated("Not found.", language))
                token = self.api(None).post(
                    "/api/auth/token/",
                    {"username": "nurse", "password": PASSWORD + "x"},
                    HTTP_ACCEPT_LANGUAGE=language,
                )
                self.assertEqual(
                    token.data["non_field_errors"],
                    [translated("Unable to log in with provided credentials.", language)],
                )

    def test_a_refused_transition_explains_itself_in_the_request_language(self) -> None:
        incident = incident_in(self, IncidentStatus.ASSIGNED)
        for language in ("en", "zh-hans"):
            with self.subTest(language=language):
                response = self.api(self.agent).post(
                    "/api/incidents/%d/transitions/" % incident.pk,
                    {"name": "confirm"},
                    format="json",
                    HTTP_ACCEPT_LANGUAGE=language,
                )
                self.assertEqual(response.status_code, 409)
                with translation.override(language):
                    expected = gettext(
                        "“%(action)s” is not possible while the record is “%(status)s”."
                    ) % {
                        "action": gettext("Confirm resolution"),
                        "status": gettext("Assigned"),
                    }
                self.assertEqual(response.data["detail"], expected)

    def test_a_users_chosen_language_wins_over_accept_language(self) -> None:
        self.nurse.language = "en"
        self.nurse.save(update_fields=["language"])
        response = self.api(self.nurse).post(
            "/api/incidents/", {}, format="json", HTTP_ACCEPT_LANGUAGE="zh-hans"
        )
        self.assertEqual(response.data["title"], ["This field is required."])
        self.assertEqual(response["Content-Language"], "en")
