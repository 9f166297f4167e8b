"""The CMDB over the API: the service catalogue (`catalogue`), classes with their attribute
schemas and contracts (`classes`), configuration items with their history (`items`), and
relationships with the impact analysis (`relationships`). Every write of an item or a
relationship calls the same service verb as the pages."""

from itsm.cmdb.api.catalogue import ServiceSerializer, ServiceViewSet
from itsm.cmdb.api.classes import AttributeDefinitionViewSet, CIClassViewSet, ContractViewSet
from itsm.cmdb.api.items import ConfigurationItemViewSet
from itsm.cmdb.api.relationships import (
    DepartmentRefSerializer,
    ImpactSerializer,
    NamedSerializer,
    RelationshipViewSet,
    impact_data,
)

__all__ = [
    "AttributeDefinitionViewSet",
    "CIClassViewSet",
    "ConfigurationItemViewSet",
    "ContractViewSet",
    "DepartmentRefSerializer",
    "ImpactSerializer",
    "NamedSerializer",
    "RelationshipViewSet",
    "ServiceSerializer",
    "ServiceViewSet",
    "impact_data",
]
