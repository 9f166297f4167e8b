from django.db import models
from django.utils.translation import gettext_lazy as _


class Criticality(models.IntegerChoices):
    CRITICAL = 1, _("Critical")
    HIGH = 2, _("High")
    MEDIUM = 3, _("Medium")
    LOW = 4, _("Low")


class ServiceStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    RETIRED = "retired", _("Retired")


class ConfigurationItemClass(models.TextChoices):
    """The codes of the built-in classes (`CIClass` rows seeded by migration), which the
    relationship rules and the demo name."""

    BUSINESS_SERVICE = "business_service", _("Business service")
    APPLICATION = "application", _("Application")
    DATABASE = "database", _("Database")
    SERVER = "server", _("Server")
    STORAGE = "storage", _("Storage")
    NETWORK_DEVICE = "network_device", _("Network device")
    WORKSTATION = "workstation", _("Workstation")
    PRINTER = "printer", _("Printer")
    KIOSK = "kiosk", _("Self-service kiosk")
    MEDICAL_DEVICE_INTERFACE = "medical_device_interface", _("Medical device interface")
    SOFTWARE_LICENCE = "software_licence", _("Software licence")
    LOCATION = "location", _("Location")


class ConfigurationItemStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    IN_USE = "in_use", _("In use")
    MAINTENANCE = "maintenance", _("Maintenance")
    RETIRED = "retired", _("Retired")


class RelationshipType(models.TextChoices):
    """How one configuration item relies on another. "A <type> B" always means B's failure
    affects A; which classes each type may join is `itsm.cmdb.relationships.ALLOWED`."""

    DEPENDS_ON = "depends_on", _("depends on")
    RUNS_ON = "runs_on", _("runs on")
    HOSTED_ON = "hosted_on", _("hosted on")
    CONNECTED_TO = "connected_to", _("connected to")
    BACKED_UP_BY = "backed_up_by", _("backed up by")
    USES = "uses", _("uses")


class AttributeType(models.TextChoices):
    TEXT = "text", _("Text")
    NUMBER = "number", _("Number")
    DATE = "date", _("Date")
    CHOICE = "choice", _("Choice")
    REFERENCE = "reference", _("Reference to an item")
    IP = "ip", _("IP address")
