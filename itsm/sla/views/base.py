"""What every service level page shares: whoever may view the model sees every row, and
the permission is checked before anything is fetched."""

from __future__ import annotations

from typing import Any, ClassVar

from django.db.models import QuerySet

from itsm.core.views import ObjectMixin

VIEW = "sla.view_agreement"
MANAGE = "sla.change_agreement"


class SlaMixin(ObjectMixin):
    """Service level settings are not per-user records: whoever may view the model sees
    every row (no `visible_to`), and the permission is checked before anything is
    fetched."""

    nav: ClassVar[str] = "sla"
    check_permission_first = True

    def get_queryset(self) -> QuerySet[Any]:
        queryset: QuerySet[Any] = self.model._default_manager.all()
        if self.select_related:
            queryset = queryset.select_related(*self.select_related)
        return queryset
