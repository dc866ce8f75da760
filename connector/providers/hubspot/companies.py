"""The contacts' HubSpot companies and the account roll-up on them, in few calls.

* Finding: one v4 batch read (contact -> company, up to 100 contacts a call); the primary
  company (association type 1) wins. A contact the connector's upsert just created has no
  association to read: it skips the read. A contact with none gets the company of its e-mail's
  domain, as HubSpot's own auto-association does: one search per 100 domains (``IN``),
  one batch create for the domains HubSpot has no company for, one default-association
  batch. Free-mail domains (``mappings/hubspot.json`` ``companies.free_mail_domains``) and
  a mapping with ``from_email_domain`` false get no company.
* Writing: the roll-ups of many companies in one batch update per 100 companies, one input
  per company however many answers came in (the caller coalesces them). Idempotent (setting
  values again), so a 5xx narrows down to the failing input (see ``chunks``).
"""
import logging
from collections.abc import Callable, Collection, Mapping

from connector.domain.account import CompanyRollup, email_domain
from connector.ports.errors import RetryableError
from connector.providers.hubspot.chunks import ByTrace, ChunkRun, Input
from connector.providers.hubspot.client import HubSpotClient
from connector.providers.hubspot.mapping import HubSpotMapping
from connector.providers.hubspot.schema import ContactSchema

log = logging.getLogger(__name__)

PRIMARY_COMPANY = 1  # HUBSPOT_DEFINED contact_to_company "Primary"
READ_LIMIT = 100


def _chunks(items: list, size: int) -> list[list]:
    return [items[i:i + size] for i in range(0, len(items), size)]


def rollup_properties(rollup: CompanyRollup) -> dict[str, str]:
    """The contract properties (SPEC "Account view"); "" clears a value that no longer holds."""
    at = rollup.last_detractor_at
    return {"recovery_open_incidents": str(rollup.open_incidents),
            "recovery_last_detractor_at": at.isoformat().replace("+00:00", "Z") if at else "",
            "nps_account_score": "" if rollup.nps_account_score is None else str(rollup.nps_account_score),
            "recovery_worst_open_priority": rollup.worst_open_priority or ""}


class CompanyWrites:
    def __init__(self, client: HubSpotClient, mapping: HubSpotMapping):
        self.client = client
        self.mapping = mapping
        self.schema = ContactSchema(client, mapping, "companies")

    # -- finding -------------------------------------------------------------
    def companies_of(self, contacts: Mapping[str, str], known_domains: Mapping[str, str] | None = None,
                     may_create: Callable[[list[str]], set[str]] | None = None,
                     created: Collection[str] = ()) -> dict[str, str | None]:
        """Company id (or None) per contact id; ``contacts``: contact id -> e-mail. Raises SyncError.

        ``created``: contacts the connector's own upsert just made. They cannot have a company
        association yet, so they skip the association read and go straight to their domain's.

        ``known_domains`` (domain -> company id, from the caller's store): no search for those, so
        a company created moments ago is not missed while HubSpot's search index catches up.
        ``may_create`` (domains HubSpot has no company for -> those this caller may create): two
        workers meeting one new domain at once must not make two companies of it. The contacts of
        a domain another worker is creating are left out of the answer: ask again shortly.
        """
        found = self._associated([cid for cid in contacts if cid not in created])
        lonely = {cid: email_domain(contacts[cid]) for cid in contacts if found.get(cid) is None}
        if self.mapping.company_from_email_domain:
            lonely = {cid: d for cid, d in lonely.items() if self.mapping.company_by_domain(d)}
            if lonely:
                hints = dict(known_domains or {})
                by_domain = {**hints, **self._by_domain(sorted(set(lonely.values()) - set(hints)), may_create)}
                later = {cid for cid, d in lonely.items() if d not in by_domain}
                self._associate({cid: by_domain[d] for cid, d in lonely.items() if cid not in later})
                found.update({cid: by_domain[d] for cid, d in lonely.items() if cid not in later})
                return {cid: found.get(cid) for cid in contacts if cid not in later}
        return {cid: found.get(cid) for cid in contacts}

    def _associated(self, contact_ids: list[str]) -> dict[str, str | None]:
        out: dict[str, str | None] = {}
        for part in _chunks(contact_ids, READ_LIMIT):
            response = self.client.call("contact companies read", self.client.associations_batch.get_page,
                                        "contacts", "companies", {"inputs": [{"id": c} for c in part]})
            for result in response.results or []:
                links = result.to or []
                primary = [t for t in links if any(s.type_id == PRIMARY_COMPANY for s in t.association_types or [])]
                chosen = (primary or links)[:1]
                out[str(result._from.id)] = str(chosen[0].to_object_id) if chosen else None
        return out

    def _by_domain(self, domains: list[str], may_create: Callable[[list[str]], set[str]] | None) -> dict[str, str]:
        """Company id per domain: the oldest company HubSpot has for it, else a new one."""
        found: dict[str, str] = {}
        if not domains:
            return found
        for part in _chunks(domains, READ_LIMIT):
            after = None
            while True:
                body = {"filterGroups": [{"filters": [{"propertyName": "domain", "operator": "IN", "values": part}]}],
                        "sorts": [{"propertyName": "createdate", "direction": "ASCENDING"}],
                        "properties": ["domain"], "limit": 200, **({"after": after} if after else {})}
                page = self.client.call("company search", self.client.companies_search.do_search, body)
                for company in page.results or []:
                    found.setdefault(((company.properties or {}).get("domain") or "").lower(), str(company.id))
                after = page.paging.next.after if page.paging and page.paging.next else None
                if not after:
                    break
        missing = [d for d in domains if d not in found]
        if missing and may_create is not None:
            allowed = may_create(missing)
            missing = [d for d in missing if d in allowed]
        for part in _chunks(missing, READ_LIMIT):
            inputs = [{"properties": {"domain": d, "name": d}, "objectWriteTraceId": d} for d in part]
            response = self.client.call("company batch create", self.client.companies_batch.create, {"inputs": inputs})
            for company in response.results or []:
                found[((company.properties or {}).get("domain") or "").lower()] = str(company.id)
            log.info("hubspot created %d companies from e-mail domains", len(response.results or []))
        if any(d not in found for d in missing):
            raise RetryableError("HubSpot company batch create: no result for a domain")
        return found  # without the domains another worker is creating

    def _associate(self, pairs: Mapping[str, str]) -> None:
        for part in _chunks(sorted(pairs.items()), READ_LIMIT):
            self.client.call("contact company associate", self.client.associations_batch.create_default,
                             "contacts", "companies",
                             {"inputs": [{"from": {"id": c}, "to": {"id": co}} for c, co in part]})

    # -- the roll-up -----------------------------------------------------------
    def update_rollups(self, rollups: Mapping[str, CompanyRollup], limit: int) -> dict[str, None | Exception]:
        """One input per company; its outcome (None or the error) per company id."""
        self.schema.ensure()
        inputs = [{"id": cid, "objectWriteTraceId": cid, "properties": rollup_properties(r)}
                  for cid, r in rollups.items()]

        def send(chunk: list[Input]) -> ByTrace:
            response = self.client.call("company batch update", self.client.companies_batch.update, {"inputs": chunk})
            done = {str(c.id) for c in response.results or []}
            log.info("hubspot wrote the roll-up of %d companies in one call", len(done))
            return {i["id"]: None if i["id"] in done else
                    RetryableError("HubSpot company batch update: no result for this company") for i in chunk}

        run = ChunkRun(inputs, limit, idempotent=True)
        for chunk in run:
            with run.sending(chunk):
                run.answered(chunk, send(chunk))
        return {cid: run.outcomes[cid] for cid in rollups}
