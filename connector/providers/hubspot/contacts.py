"""Many answers' contacts, and the live ticket link on them, in few HubSpot calls.

HubSpot refuses the same contact twice in one upsert, so writes for one e-mail become
one input: the newest answer's (what the contact should show), its id shared by all. NPS
and CSAT answers land on different properties, so the newest answer of the other survey
type keeps its ``csat_last_*`` / ``nps_last_*`` values in that input.
Both calls are idempotent (an upsert by e-mail, setting a property again; the create below
falls back to the upsert when refused, a 409 when sent again), so a 5xx narrows the chunk down
to the failing input (see ``chunks``).

The respondent's name and company fill HubSpot's own ``firstname``/``lastname``/``company``
only where the contact has none: an upsert overwrites whatever it is given (HubSpot has no
"only if empty" flag), so a chunk whose answers carry a name or company is first read back
in one batch read by e-mail, and each input gets only the values its contact lacks. The
name is a pair: a contact with either part set keeps both as a person entered them. A
person editing the contact between the read and the upsert (well under a second) is the
one window left.

That read also tells which e-mails HubSpot has no contact for: those are made by one batch
create instead, each with its e-mail domain's company when the caller's store knows it (the
Primary association in the create itself, so the company roll-up job has nothing to associate).
The read also asks each contact's owner, which the answer carries on (``ContactId.owner``: ""
for a contact made by the create, which has none yet), so the rep's heads-up needs no read of its
own. A chunk whose answers carry no name or company is not read, so it is upserted as before. A
create answering 409 (the contact was made since the read, or a create whose answer was lost
is sent again) or another 4xx is upserted instead, without association: the roll-up job
associates it.
"""
import logging
from collections.abc import Mapping, Sequence

from connector.domain.account import email_domain
from connector.ports.batches import ContactId, ContactWrite, Outcomes, TicketLink
from connector.ports.errors import PermanentError, RetryableError
from connector.providers.hubspot.chunks import ByTrace, ChunkRun, Input
from connector.providers.hubspot.client import HubSpotClient
from connector.providers.hubspot.contact_identity import COMPANY, NAME, identity, latest, missing_identity, newest_order
from connector.providers.hubspot.mapping import HubSpotMapping
from connector.providers.hubspot.properties import contact_properties
from connector.providers.hubspot.schema import ContactSchema

log = logging.getLogger(__name__)

PRIMARY_COMPANY = {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 1}  # contact_to_company
OWNER = "hubspot_owner_id"  # read with the names: the rep's heads-up then needs no read of its own
NOT_FOUND = "\0not found"  # the read found no contact for the e-mail (never an owner id)


class ContactWrites:
    def __init__(self, client: HubSpotClient, mapping: HubSpotMapping, schema: ContactSchema):
        self.client = client
        self.mapping = mapping
        self.schema = schema

    def _properties(self, by_type: dict[str, ContactWrite]) -> dict[str, str]:
        """The newest write's properties, over the other survey type's last-answer values."""
        props: dict[str, str] = {}
        for write in sorted(by_type.values(), key=newest_order):
            props.update(contact_properties(write.answer, write.case, self.mapping, write.ticket_url))
        return props

    def upsert_contacts(self, writes: Sequence[ContactWrite], limit: int,
                        known_domains: Mapping[str, str] | None = None) -> Outcomes[str]:
        """Contact id (a ``ContactId``: made by this write or not, and with which company) or the
        error, per write; one input per e-mail, the newest answer's.

        ``known_domains`` (domain -> company id, from the caller's store): a contact this call
        creates is created associated with its e-mail domain's company (Primary), where the
        mapping gives contacts their domain's company at all (see ``companies``).
        """
        self.schema.ensure()
        newest: dict[str, dict[str, ContactWrite]] = {}  # e-mail -> survey type -> newest write
        for write in writes:
            by_type = newest.setdefault(write.answer.customer_email.lower(), {})
            held = by_type.get(write.answer.survey_type)
            if held is None or newest_order(write) > newest_order(held):
                by_type[write.answer.survey_type] = write
        trace_of = {email: f"contact-{n}" for n, email in enumerate(newest)}  # no e-mail in trace ids
        inputs = [{"idProperty": "email", "id": latest(by_type).answer.customer_email,
                   "objectWriteTraceId": trace_of[email], "properties": self._properties(by_type)}
                  for email, by_type in newest.items()]
        wanted = {trace_of[email]: who for email, by_type in newest.items() if (who := identity(by_type))}
        hints = known_domains or {}
        company_of = {trace_of[email]: hints[domain] for email in newest
                      if (domain := email_domain(email)) and domain in hints and self.mapping.company_by_domain(domain)}

        def send(chunk: list[Input]) -> ByTrace:
            chunk, owners = self._with_identity(chunk, wanted)
            # the read says which e-mails HubSpot lacks: those are created, with their company
            new = [i for i in chunk if owners.get(i["objectWriteTraceId"]) == NOT_FOUND]
            found = self._create(new, company_of, trace_of) if new else {}
            rest = [i for i in chunk if i["objectWriteTraceId"] not in found]  # a refused create's too
            if rest:  # a contact the read found keeps the owner it saw (the heads-up needs no read)
                found.update({trace: ContactId(c, c.created, c.company, seen if seen != NOT_FOUND else None)
                              for trace, c in self._upsert(rest, trace_of).items()
                              for seen in [owners.get(trace)]})
            return {i["objectWriteTraceId"]: found.get(i["objectWriteTraceId"]) or
                    RetryableError("HubSpot contact write: no result for this contact") for i in chunk}

        # an upsert by e-mail, and a create that answers 409 when sent again (then upserted)
        run = ChunkRun(inputs, limit, idempotent=True)
        for chunk in run:
            with run.sending(chunk):
                run.answered(chunk, send(chunk))
        by_trace = run.outcomes
        return {w.key: by_trace[trace_of[w.answer.customer_email.lower()]] for w in writes}

    def _secrets(self, chunk: list[Input]) -> tuple[str, ...]:
        """What of a chunk must never reach a log: e-mails, comments, names."""
        comments = [self.mapping.name(f"{kind}_last_comment") for kind in ("nps", "csat")]
        values = [v for w in chunk for v in (w["id"], *(w["properties"].get(c) for c in comments),
                                             *(w["properties"].get(n) for n in NAME))]
        return tuple(v for v in values if v)

    def _upsert(self, chunk: list[Input], trace_of: dict[str, str]) -> ByTrace:
        response = self.client.call("contact upsert", self.client.contacts_batch.upsert,
                                    {"inputs": chunk}, sensitive=self._secrets(chunk))
        found = {}
        for contact in response.results or []:
            email = ((contact.properties or {}).get("email") or "").lower()
            # ``new``: this upsert made the contact (no company association to read yet)
            found[contact.object_write_trace_id or trace_of.get(email)] = ContactId(
                contact.id, getattr(contact, "new", None))
        log.info("hubspot upserted %d contacts in one call", len(found))
        return found

    def _create(self, chunk: list[Input], company_of: dict[str, str], trace_of: dict[str, str]) -> ByTrace:
        """The contacts HubSpot lacks, each with its domain's company where known: one call, no
        association call later. A refusal answers nothing, so the caller upserts them as before
        (the roll-up job then associates them): a 409 (made since the read, or by a create whose
        answer was lost: e-mails are unique), or a 4xx that may be the association's (a company
        merged or deleted in HubSpot since the store learned it). A bad input the upsert refuses
        too, as it always did."""
        inputs = [{"objectWriteTraceId": i["objectWriteTraceId"],
                   "properties": {**i["properties"], "email": i["id"]},
                   "associations": [{"to": {"id": company}, "types": [PRIMARY_COMPANY]}]
                   if (company := company_of.get(i["objectWriteTraceId"])) else []} for i in chunk]
        try:
            response = self.client.call("contact batch create", self.client.contacts_batch.create,
                                        {"inputs": inputs}, sensitive=self._secrets(chunk))
        except PermanentError as exc:
            log.info("hubspot contact batch create of %d refused (HTTP %s): upserting them", len(chunk), exc.status)
            return {}
        found = {}
        for contact in response.results or []:
            trace = contact.object_write_trace_id or \
                trace_of.get(((contact.properties or {}).get("email") or "").lower())
            found[trace] = ContactId(contact.id, True, company_of.get(trace), "")  # made now: no owner yet
        log.info("hubspot created %d contacts in one call, %d with their company", len(found),
                 sum(1 for c in found.values() if c.company))
        return found

    def _with_identity(self, chunk: list[Input], wanted: dict[str, dict[str, str]]) -> tuple[list[Input], dict[str, str]]:
        """The chunk's inputs with the name and company their contacts lack (one read, if any),
        and per trace id read, its contact's owner ("" none) or NOT_FOUND (HubSpot has no contact)."""
        asked = [i["id"] for i in chunk if i["objectWriteTraceId"] in wanted]
        if not asked:
            return chunk, {}
        response = self.client.call(
            "contact batch read", self.client.contacts_batch.read,
            {"idProperty": "email", "inputs": [{"id": email} for email in asked],
             "properties": ["email", *NAME, COMPANY, OWNER]}, sensitive=tuple(asked))
        existing = {((c.properties or {}).get("email") or "").lower(): c.properties or {}
                    for c in response.results or []}
        return [{**i, "properties": {**i["properties"], **missing_identity(
                    wanted.get(i["objectWriteTraceId"], {}), existing.get(i["id"].lower()))}}
                for i in chunk], {i["objectWriteTraceId"]: NOT_FOUND if (seen := existing.get(i["id"].lower())) is None
                                  else seen.get(OWNER) or "" for i in chunk if i["objectWriteTraceId"] in wanted}

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
