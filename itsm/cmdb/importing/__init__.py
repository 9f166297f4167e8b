"""Importing configuration items and relationships from Excel (.xlsx) or CSV files.

`plan_import` reads the files and checks every row against the same rules as the item and
relationship services — every error of every row, with its row number and column — and
writes nothing: it is the dry run. `run_import` then writes the plan in one transaction:
items upserted by code (new ones created, changed ones updated, unchanged ones left alone,
so importing the same file twice changes nothing the second time), relationships created
where missing, each write audited like `create_ci`/`update_ci`/`relate_cis` audit it.

The services check one item at a time, with a query or more per related record; a file of
100,000 rows is checked with a few queries per table instead: the related records are
looked up in bulk, the fields are checked by Django (`clean_fields`) and the attributes by
`clean_attributes`, and the rules between records (locations, contracts, unique codes and
asset tags, relationship loops) are checked here over the whole file at once."""

from itsm.cmdb.importing.common import ImportFileError, ImportPlan, ImportResult, RowError
from itsm.cmdb.importing.planning import plan_import
from itsm.cmdb.importing.reading import item_headers, read_sheets, relationship_headers
from itsm.cmdb.importing.writing import run_import

__all__ = [
    "ImportFileError",
    "ImportPlan",
    "ImportResult",
    "RowError",
    "item_headers",
    "plan_import",
    "read_sheets",
    "relationship_headers",
    "run_import",
]
