"""What a use case is given: one tenant's view of the runtime (``connector.runtime.Runtime``
satisfies it). Handlers see only this tenant's adapters, chat and owners."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy.orm import Session, sessionmaker

from connector.domain.policies import Policies

if TYPE_CHECKING:
    from connector.ports.vendors import ChatPort, HubSpotPort, ResurveyPort, ZendeskPort


class CaseContext(Protocol):
    config: dict[str, Any]
    sessions: sessionmaker[Session]
    policies: Policies
    zendesk: ZendeskPort | None
    hubspot: HubSpotPort | None
    chat: ChatPort | None
    clock: Callable[[], datetime]
    tenant_id: str

    @property
    def rules(self) -> dict[str, Any]: ...

    def notify(self) -> None: ...

    def for_tenant(self, tenant_id: str) -> CaseContext: ...

    def resurvey_senders(self) -> Mapping[str, ResurveyPort]: ...
