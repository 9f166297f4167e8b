"""Service level pages for IT staff: the service catalogue, agreements (SLA, OLA, UC) with
their targets and escalation rules, business calendars with their days, the national
statutory table and the duty roster. Everyone in IT reads them; IT managers and
administrators change them, through the verbs of `configuration` and `calendars`."""

from itsm.sla.views.agreements import (
    AgreementDetailView,
    AgreementEditView,
    AgreementListView,
    ServiceDetailView,
    ServiceListView,
)
from itsm.sla.views.calendars import (
    CalendarDayView,
    CalendarDetailView,
    CalendarEditView,
    CalendarListView,
    DaysImportView,
    StatutoryDayListView,
)
from itsm.sla.views.duty import DutyShiftDeleteView, DutyShiftEditView, DutyShiftListView

__all__ = [
    "AgreementDetailView",
    "AgreementEditView",
    "AgreementListView",
    "CalendarDayView",
    "CalendarDetailView",
    "CalendarEditView",
    "CalendarListView",
    "DaysImportView",
    "DutyShiftDeleteView",
    "DutyShiftEditView",
    "DutyShiftListView",
    "ServiceDetailView",
    "ServiceListView",
    "StatutoryDayListView",
]
