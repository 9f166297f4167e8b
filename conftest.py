"""Test-run settings: a fast password hasher (the personas are created per test class) and
plain static file storage (the manifest exists only after collectstatic)."""

from typing import Any


def pytest_configure(config: Any) -> None:
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
