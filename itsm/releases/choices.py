from django.db import models
from django.utils.translation import gettext_lazy as _


class ReleaseType(models.TextChoices):
    """How big a release is: a major release brings new functions (HIS 5.x → 6.0), a minor
    one fixes and adjusts (5.3.1 → 5.3.2), an emergency one is a hot fix for a fault that
    stops work and is shipped under an emergency change."""

    MAJOR = "major", _("Major release")
    MINOR = "minor", _("Minor release")
    EMERGENCY = "emergency", _("Emergency release")


class ReleaseStatus(models.TextChoices):
    BUILD = "build", _("Build")
    TEST = "test", _("Test")
    DEPLOY = "deploy", _("Deploy")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_RELEASE_STATUSES = (ReleaseStatus.BUILD, ReleaseStatus.TEST, ReleaseStatus.DEPLOY)


class DeploymentEnvironment(models.TextChoices):
    """Where a version is installed. Only production is what the configuration item's
    recorded version (`software_version`) describes; the others are its copies for testing
    and for training the wards."""

    PRODUCTION = "production", _("Production")
    TEST = "test", _("Test")
    TRAINING = "training", _("Training / UAT")


class DeploymentOutcome(models.TextChoices):
    SUCCESSFUL = "successful", _("Successful")
    # Not "Failed": that word is taken by other meanings (a failed e-mail delivery).
    FAILED = "failed", _("Deployment failed")
