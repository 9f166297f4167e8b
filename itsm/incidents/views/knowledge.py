"""Write a knowledge article from a resolved incident: a draft pre-filled with its
symptoms and resolution, linked back to it."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext

from itsm.core.exceptions import TransitionNotAllowed
from itsm.core.views import ObjectMixin, redirect_after_post
from itsm.incidents.choices import IncidentStatus
from itsm.incidents.models import Incident
from itsm.knowledge.services import draft_from_incident


class IncidentToKnowledgeView(ObjectMixin):
    """POST: a new draft article from this resolved or closed incident, then its editor."""

    model = Incident
    permission = "knowledge.add_article"

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        incident = self.get_object()
        self.check_permission()
        if incident.status not in (IncidentStatus.RESOLVED, IncidentStatus.CLOSED):
            raise TransitionNotAllowed(
                gettext("Only a resolved or closed incident can be written up.")
            )
        article = draft_from_incident(
            actor=request.user,
            title=incident.title,
            symptoms=incident.description,
            resolution=incident.resolution_notes,
            source=incident,
        )
        return redirect_after_post(request, reverse("knowledge:article_edit", args=[article.pk]))
