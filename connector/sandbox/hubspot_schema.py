"""What the HubSpot stand-in accepts: its limits, property rules and built-in properties.

Kept apart from the state and the routes so that every rule the stand-in enforces,
and the refusal (``Invalid``) it raises when one is broken, is read in one place.
"""
import re
from datetime import datetime, timezone

BATCH_LIMIT = 100
SEARCH_LIMIT = 200
FIELD_TYPES = {
    "string": {"text", "textarea", "html", "phonenumber", "file"},
    "number": {"number", "calculation_equation"},
    "date": {"date"}, "datetime": {"date"}, "bool": {"booleancheckbox", "calculation_equation"},
    "enumeration": {"select", "radio", "checkbox", "booleancheckbox", "calculation_equation"},
}
NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
CATEGORIES = {400: "VALIDATION_ERROR", 401: "INVALID_AUTHENTICATION", 404: "OBJECT_NOT_FOUND",
              405: "VALIDATION_ERROR", 409: "CONFLICT", 415: "VALIDATION_ERROR", 429: "RATE_LIMITS"}
ASSOCIATION_TYPES = {("tasks", 204): "contacts", ("notes", 202): "contacts"}  # HUBSPOT_DEFINED → contact


def now_iso() -> str:
    return to_iso(datetime.now(timezone.utc))


def to_iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class Invalid(Exception):
    """A request HubSpot would refuse: carries the HTTP status, message and category."""

    def __init__(self, status: int, message: str, category: str | None = None, errors=None):
        super().__init__(message)
        self.status, self.message, self.errors = status, message, errors
        self.category = category or CATEGORIES.get(status, "VALIDATION_ERROR")


def property_definition(name, label, type_, field_type, group, options=(), read_only=False, external=False):
    return {
        "name": name, "label": label, "type": type_, "fieldType": field_type, "groupName": group,
        "description": "", "displayOrder": -1, "calculated": False, "externalOptions": external,
        "hasUniqueValue": name == "email", "hidden": False, "formField": not read_only,
        "options": [{"value": v, "label": v.replace("_", " ").title(), "displayOrder": i,
                     "hidden": False} for i, v in enumerate(options)],
        "createdAt": now_iso(), "updatedAt": now_iso(), "archived": False,
        "modificationMetadata": {"archivable": False, "readOnlyDefinition": True,
                                 "readOnlyValue": read_only},
    }


def default_schema() -> tuple[dict, dict]:
    """The property groups and properties a new portal has, by object type."""
    groups = {"contacts": {"contactinformation": "Contact information"},
              "tasks": {"taskinformation": "Task information"},
              "notes": {"noteinformation": "Note information"},
              "companies": {"companyinformation": "Company information"}}
    prop = property_definition  # short, so the tables below keep one or two definitions a line
    ci, ti = "contactinformation", "taskinformation"
    contacts = [
        prop("email", "Email", "string", "text", ci), prop("firstname", "First Name", "string", "text", ci),
        prop("lastname", "Last Name", "string", "text", ci), prop("company", "Company Name", "string", "text", ci),
        prop("phone", "Phone Number", "string", "phonenumber", ci),
        prop("lifecyclestage", "Lifecycle Stage", "enumeration", "radio", ci,
             ("subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity",
              "customer", "evangelist", "other")),
        prop("hubspot_owner_id", "Contact owner", "enumeration", "select", ci, external=True),
        prop("total_revenue", "Total revenue", "number", "number", ci),
        prop("hs_object_id", "Record ID", "number", "number", ci, read_only=True),
        prop("createdate", "Create Date", "datetime", "date", ci, read_only=True),
        prop("lastmodifieddate", "Last Modified Date", "datetime", "date", ci, read_only=True),
    ]
    tasks = [
        prop("hs_timestamp", "Due date", "datetime", "date", ti),
        prop("hs_task_subject", "Task Title", "string", "text", ti),
        prop("hs_task_body", "Notes", "string", "html", ti),
        prop("hs_task_status", "Task Status", "enumeration", "select", ti,
             ("NOT_STARTED", "IN_PROGRESS", "WAITING", "COMPLETED", "DEFERRED")),
        prop("hs_task_priority", "Priority", "enumeration", "select", ti, ("NONE", "LOW", "MEDIUM", "HIGH")),
        prop("hs_task_type", "Task Type", "enumeration", "select", ti,
             ("CALL", "EMAIL", "LINKED_IN", "MEETING", "LINKED_IN_CONNECT", "LINKED_IN_MESSAGE", "TODO")),
        prop("hs_task_reminders", "Reminder", "string", "text", ti),
        prop("hubspot_owner_id", "Assigned to", "enumeration", "select", ti, external=True),
        prop("hs_object_id", "Record ID", "number", "number", ti, read_only=True),
        prop("hs_createdate", "Create date", "datetime", "date", ti, read_only=True),
        prop("hs_lastmodifieddate", "Last modified date", "datetime", "date", ti, read_only=True),
    ]
    ni = "noteinformation"
    notes = [
        prop("hs_timestamp", "Activity date", "datetime", "date", ni),
        prop("hs_note_body", "Note body", "string", "html", ni),
        prop("hubspot_owner_id", "Activity assigned to", "enumeration", "select", ni, external=True),
        prop("hs_object_id", "Record ID", "number", "number", ni, read_only=True),
        prop("hs_createdate", "Create date", "datetime", "date", ni, read_only=True),
        prop("hs_lastmodifieddate", "Last modified date", "datetime", "date", ni, read_only=True),
    ]
    co = "companyinformation"
    companies = [
        prop("name", "Name", "string", "text", co), prop("domain", "Company domain name", "string", "text", co),
        prop("annualrevenue", "Annual revenue", "number", "number", co),
        prop("total_revenue", "Total revenue", "number", "number", co),
        prop("hs_object_id", "Record ID", "number", "number", co, read_only=True),
    ]
    props = {"contacts": {p["name"]: p for p in contacts}, "tasks": {p["name"]: p for p in tasks},
             "notes": {p["name"]: p for p in notes}, "companies": {p["name"]: p for p in companies}}
    return ({ot: {n: {"name": n, "label": lbl, "displayOrder": -1, "archived": False}
                  for n, lbl in g.items()} for ot, g in groups.items()}, props)
