from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "itsm.accounts"
    verbose_name = _("Organisation")

    def ready(self) -> None:
        # Signal receivers: the lockout audit; a new session's clocks and second-factor state.
        from itsm.accounts import lockout, mfa, sessions  # noqa: F401
        from itsm.accounts.roles import sync_roles_after_migrate

        post_migrate.connect(sync_roles_after_migrate, dispatch_uid="itsm.sync_roles")
