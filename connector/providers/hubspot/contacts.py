"""Many answers' contacts, and the live ticket link on them, in few HubSpot calls.

HubSpot refuses the same contact twice in one upsert, so writes for one e-mail become
one input: the newest answer's (what the contact should show), its id shared by all. NPS
and CSAT answers land on different properties, so the newest answer of the other survey
type keeps its ``csat_last_*`` / ``nps_last_*`` values in that input.
Both calls are idempotent (an upsert by e-mail, setting a property again), so a 5xx
narrows the chunk down to the failing input (see ``chunks``).

The respondent's name and company fill HubSpot's own ``firstname``/``lastname``/``company``
only where the contact has none: an upsert overwrites whatever it is given (HubSpot has no
"only if empty" flag), so a chunk whose answers carry a name or company is first read back
in one batch read by e-mail, and each input gets only the values its contact lacks. The
name is a pair: a contact with either part set keeps both as a person entered them. A
person editing the contact between the read and the upsert (well under a second) is the
one window left.
"""
import logging
from collections.abc import Sequence

from connector.domain.names import company_name, split_name
from connector.ports.batches import ContactId, ContactWrite, Outcomes, TicketLink
from connector.ports.errors import RetryableError
from connector.providers.hubspot.chunks import ByTrace, ChunkRun, Input
from connector.providers.hubspot.client import HubSpotClient
from connector.providers.hubspot.mapping import HubSpotMapping
from connector.providers.hubspot.properties import contact_properties
from connector.providers.hubspot.schema import ContactSchema

log = logging.getLogger(__name__)

NAME = ("firstname", "lastname")  # HubSpot's default contact properties, never overwritten
COMPANY = "company"


def _order(write: ContactWrite) -> tuple:
    return write.answer.submitted_at, write.answer.answer_id


def _latest(by_type: dict[str, ContactWrite]) -> ContactWrite:
    return max(by_type.values(), key=_order)


def identity(by_type: dict[str, ContactWrite]) -> dict[str, str]:
    """firstname/lastname and company from the newest answers that carry them (pure)."""
    newest_first = sorted(by_type.values(), key=_order, reverse=True)
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


class ContactWrites:
    def __init__(self, client: HubSpotClient, mapping: HubSpotMapping, schema: ContactSchema):
        self.client = client
        self.mapping = mapping
        self.schema = schema

    def _properties(self, by_type: dict[str, ContactWrite]) -> dict[str, str]:
        """The newest write's properties, over the other survey type's last-answer values."""
        props: dict[str, str] = {}
        for write in sorted(by_type.values(), key=_order):
            props.update(contact_properties(write.answer, write.case, self.mapping, write.ticket_url))
        return props

    def upsert_contacts(self, writes: Sequence[ContactWrite], limit: int) -> Outcomes[str]:
        """Contact id (a ``ContactId``: made by this upsert or not) or the error, per write; one
        input per e-mail, the newest answer's."""
        self.schema.ensure()
        newest: dict[str, dict[str, ContactWrite]] = {}  # e-mail -> survey type -> newest write
        for write in writes:
            by_type = newest.setdefault(write.answer.customer_email.lower(), {})
            held = by_type.get(write.answer.survey_type)
            if held is None or _order(write) > _order(held):
                by_type[write.answer.survey_type] = write
        trace_of = {email: f"contact-{n}" for n, email in enumerate(newest)}  # no e-mail in trace ids
        inputs = [{"idProperty": "email", "id": _latest(by_type).answer.customer_email,
                   "objectWriteTraceId": trace_of[email], "properties": self._properties(by_type)}
                  for email, by_type in newest.items()]
        wanted = {trace_of[email]: who for email, by_type in newest.items() if (who := identity(by_type))}
        comments = [self.mapping.name(f"{kind}_last_comment") for kind in ("nps", "csat")]

        def send(chunk: list[Input]) -> ByTrace:
            chunk = self._with_identity(chunk, wanted)
            secrets = [v for w in chunk for v in (w["id"], *(w["properties"].get(c) for c in comments),
                                                  *(w["properties"].get(n) for n in NAME))]
            response = self.client.call("contact upsert", self.client.contacts_batch.upsert,
                                        {"inputs": chunk}, sensitive=tuple(v for v in secrets if v))
            found = {}
            for contact in response.results or []:
                email = ((contact.properties or {}).get("email") or "").lower()
                # ``new``: this upsert made the contact (no company association to read yet)
                found[contact.object_write_trace_id or trace_of.get(email)] = ContactId(
                    contact.id, getattr(contact, "new", None))
            log.info("hubspot upserted %d contacts in one call", len(found))
            return {i["objectWriteTraceId"]: found.get(i["objectWriteTraceId"]) or
                    RetryableError("HubSpot contact upsert: no result for this contact") for i in chunk}

        run = ChunkRun(inputs, limit, idempotent=True)  # an upsert by e-mail
        for chunk in run:
            with run.sending(chunk):
                run.answered(chunk, send(chunk))
        by_trace = run.outcomes
        return {w.key: by_trace[trace_of[w.answer.customer_email.lower()]] for w in writes}

    def _with_identity(self, chunk: list[Input], wanted: dict[str, dict[str, str]]) -> list[Input]:
        """The chunk's inputs with the name and company their contacts lack (one read, if any)."""
        asked = [i["id"] for i in chunk if i["objectWriteTraceId"] in wanted]
        if not asked:
            return chunk
        response = self.client.call(
            "contact batch read", self.client.contacts_batch.read,
            {"idProperty": "email", "inputs": [{"id": email} for email in asked],
             "properties": ["email", *NAME, COMPANY]}, sensitive=tuple(asked))
        existing = {((c.properties or {}).get("email") or "").lower(): c.properties or {}
                    for c in response.results or []}
        return [{**i, "properties": {**i["properties"], **missing_identity(
                    wanted.get(i["objectWriteTraceId"], {}), existing.get(i["id"].lower()))}}
                for i in chunk]

    def set_ticket_urls(self, links: Sequence[TicketLink], limit: int) -> Outcomes[None]:
        """The ticket URL on each link's contact; per contact the highest ``order`` wins."""
        self.schema.ensure()
        name = self.mapping.name("recovery_zendesk_ticket_url")
        newest: dict[str, TicketLink] = {}
        for link in map(TicketLink._make, links):  # plain 4-tuples are welcome too
            if link.contact_id not in newest or link.order > newest[link.contact_id].order:
                newest[link.contact_id] = link
        inputs = [{"id": str(contact_id), "objectWriteTraceId": str(contact_id), "properties": {name: link.url}}
                  for contact_id, link in newest.items()]

        def send(chunk: list[Input]) -> ByTrace:
            response = self.client.call("contact batch update", self.client.contacts_batch.update, {"inputs": chunk})
            found = {str(c.id) for c in response.results or []}
            log.info("hubspot set the ticket link on %d contacts in one call", len(found))
            return {i["id"]: None if i["id"] in found else
                    RetryableError("HubSpot contact batch update: no result for this contact") for i in chunk}

        run = ChunkRun(inputs, limit, idempotent=True)  # setting a property again is harmless
        for chunk in run:
            with run.sending(chunk):
                run.answered(chunk, send(chunk))
        by_contact = run.outcomes
        return {key: by_contact[str(contact_id)] for key, contact_id, _, _ in links}
