"""`itsm import-cis`: the spelling the CMDB documentation uses, for `itsm import_cis`."""

from itsm.cmdb.management.commands.import_cis import Command

__all__ = ["Command"]
