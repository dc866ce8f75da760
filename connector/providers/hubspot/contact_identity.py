"""What a contact should show of its answers' names and company (pure, no HubSpot call).

The newest answer that carries a name or company gives it; a contact keeps the name and company
a person entered (``missing_identity``: only what it lacks is written, a half-typed name is theirs).
"""
from connector.domain.names import company_name, split_name
from connector.ports.batches import ContactWrite

NAME = ("firstname", "lastname")  # HubSpot's default contact properties, never overwritten
COMPANY = "company"


def newest_order(write: ContactWrite) -> tuple:
    return write.answer.submitted_at, write.answer.answer_id


def latest(by_type: dict[str, ContactWrite]) -> ContactWrite:
    return max(by_type.values(), key=newest_order)


def identity(by_type: dict[str, ContactWrite]) -> dict[str, str]:
    """firstname/lastname and company from the newest answers that carry them (pure)."""
    newest_first = sorted(by_type.values(), key=newest_order, reverse=True)
    name = next((n for w in newest_first if any(n := split_name(w.answer.customer_name))), None)
    company = next((c for w in newest_first if (c := company_name(w.answer.company))), None)
    out = {key: value for key, value in zip(NAME, name or (None, None), strict=True) if value}
    if company:
        out[COMPANY] = company
    return out


def missing_identity(wanted: dict[str, str], existing: dict[str, str | None] | None) -> dict[str, str]:
    """What of ``wanted`` the contact lacks (``existing`` None: no contact yet, everything)."""
    if existing is None:
        return dict(wanted)
    empty = {key for key in (*NAME, COMPANY) if not (existing.get(key) or "").strip()}
    names_free = set(NAME) <= empty  # half a name a person typed is still theirs
    return {key: value for key, value in wanted.items() if key in empty and (key == COMPANY or names_free)}
