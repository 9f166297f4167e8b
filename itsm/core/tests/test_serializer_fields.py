"""The model serializers' fields, built once per class and language (FieldsBuiltOnce)."""

from __future__ import annotations

from itsm.core.testing import BaseTestCase


class FieldsBuiltOnceTests(BaseTestCase):
    """Model serializers build their fields once per class and language and hand out
    copies: one serializer's change to a field is not another's, and a message DRF writes
    as text follows the language."""

    def test_each_serializer_gets_its_own_copy_of_the_fields(self) -> None:
        from itsm.incidents.api import IncidentCreateSerializer

        first, second = IncidentCreateSerializer(), IncidentCreateSerializer()
        first.fields["title"].required = False
        self.assertTrue(second.fields["title"].required)
        self.assertIsNot(first.fields["title"], second.fields["title"])

    def test_a_unique_fields_message_is_in_the_language_of_the_request(self) -> None:
        from django.utils import translation

        from itsm.accounts.api import VendorSerializer

        messages = {}
        for language in ("zh-hans", "en", "zh-hans"):
            with translation.override(language):
                validators = VendorSerializer().fields["name"].validators
                messages[language] = [str(v.message) for v in validators if hasattr(v, "queryset")]
        self.assertIn("already exists", messages["en"][0])
        self.assertIn("已存在", messages["zh-hans"][0])
