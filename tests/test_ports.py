"""The real adapters satisfy the ports the use cases are written against.

Protocols are structural: renaming an adapter method, or a parameter of one, breaks
nothing at import time and only fails when a job calls it. These tests fail first,
member by member: the name, each parameter (name, kind, default, annotation) and the
return annotation must match what the port lists.
"""
import inspect
from collections.abc import Callable
from typing import Any

import pytest

from connector.ports.vendors import ChatPort, HubSpotPort, ResurveyPort, TicketMapping, ZendeskPort
from connector.providers.chat import ChatAlerts
from connector.providers.hubspot import HubSpotAdapter
from connector.providers.hubspot.client import HubSpotClient
from connector.providers.hubspot.mapping import load_hubspot_mapping
from connector.providers.surveys import DelightedResurvey, ResurveyWebhook
from connector.providers.zendesk import ZendeskAdapter
from connector.providers.zendesk.mapping import load_zendesk_mapping

ZENDESK_CONFIG = {"ZENDESK_SUBDOMAIN": "acme", "ZENDESK_EMAIL": "agent@acme.example", "ZENDESK_API_TOKEN": "t"}


def members(protocol: type) -> dict[str, Any]:
    """What a port lists: its methods and properties, not typing's own machinery."""
    return {name: value for name, value in vars(protocol).items()
            if not name.startswith("_") and (inspect.isfunction(value) or isinstance(value, property))}


def _parameters(function: Callable[..., Any]) -> tuple[list[inspect.Parameter], inspect.Signature]:
    signature = inspect.signature(function, eval_str=True)
    return list(signature.parameters.values())[1:], signature  # without self


def signature_problems(name: str, wanted: Callable[..., Any], found: Callable[..., Any]) -> list[str]:
    """How calling ``found`` the way the port declares ``wanted`` could go wrong."""
    wanted_params, wanted_signature = _parameters(wanted)
    found_params, found_signature = _parameters(found)
    by_name = {p.name: p for p in found_params}
    problems = []
    for param in wanted_params:
        other = by_name.get(param.name)
        if other is None:
            problems.append(f"{name}: no parameter {param.name!r}")
        elif other.kind != param.kind:
            problems.append(f"{name}({param.name}): {other.kind.description}, the port says {param.kind.description}")
        elif param.default is not param.empty and other.default is other.empty:
            problems.append(f"{name}({param.name}): required, the port gives it a default")
        elif other.annotation != param.annotation:
            problems.append(f"{name}({param.name}): {other.annotation}, the port says {param.annotation}")
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    order = [p.name for p in found_params if p.kind in positional][:len([p for p in wanted_params
                                                                        if p.kind in positional])]
    if order != [p.name for p in wanted_params if p.kind in positional]:
        problems.append(f"{name}: positional parameters in the order {order}")
    declared = {p.name for p in wanted_params}
    problems += [f"{name}: extra required parameter {p.name!r}" for p in found_params
                 if p.name not in declared and p.default is p.empty
                 and p.kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)]
    if found_signature.return_annotation != wanted_signature.return_annotation:
        problems.append(f"{name}: returns {found_signature.return_annotation}, "
                        f"the port says {wanted_signature.return_annotation}")
    return problems


def mismatches(protocol: type, adapter: object) -> list[str]:
    """Every way ``adapter`` falls short of ``protocol`` (empty: it fits)."""
    problems = []
    for name, wanted in members(protocol).items():
        if isinstance(wanted, property):  # an attribute: set on the instance, not the class
            if not hasattr(adapter, name):
                problems.append(f"no attribute {name!r}")
            continue
        found = inspect.getattr_static(type(adapter), name, None)
        if not callable(found):
            problems.append(f"no method {name!r}")
            continue
        problems += signature_problems(name, wanted, found)
    return problems


@pytest.fixture(scope="module")
def adapters() -> dict[type, object]:
    """One real adapter per port, built offline (no call is made)."""
    return {ZendeskPort: ZendeskAdapter.from_config(ZENDESK_CONFIG, load_zendesk_mapping()),
            HubSpotPort: HubSpotAdapter(HubSpotClient("token"), load_hubspot_mapping()),
            ChatPort: ChatAlerts("https://chat.example/hooks/recovery"),
            ResurveyPort: DelightedResurvey("key"),
            "ResurveyWebhook": ResurveyWebhook("https://surveys.example/hook", lambda i, t, b: "v1,x")}


def test_both_resurvey_tools_fit_the_resurvey_port(adapters: dict[Any, object]) -> None:
    for adapter in (adapters[ResurveyPort], adapters["ResurveyWebhook"]):
        assert isinstance(adapter, ResurveyPort)
        assert mismatches(ResurveyPort, adapter) == []


@pytest.mark.parametrize("port", [ZendeskPort, HubSpotPort, ChatPort, ResurveyPort], ids=lambda p: p.__name__)
def test_the_real_adapter_is_an_instance_of_its_port(adapters: dict[type, object], port: type) -> None:
    assert isinstance(adapters[port], port)


@pytest.mark.parametrize("port", [ZendeskPort, HubSpotPort, ChatPort], ids=lambda p: p.__name__)
def test_every_member_of_the_port_exists_on_the_adapter_with_the_same_parameters(adapters: dict[type, object],
                                                                                port: type) -> None:
    assert mismatches(port, adapters[port]) == []


def test_the_zendesk_mapping_is_what_the_use_cases_read_tickets_with(adapters: dict[type, Any]) -> None:
    mapping = adapters[ZendeskPort].mapping
    assert isinstance(mapping, TicketMapping)
    assert mismatches(TicketMapping, mapping) == []


def test_a_missing_or_renamed_method_or_parameter_is_reported() -> None:
    class Renamed:
        def post_message(self, text: str) -> None: ...

    class OtherParameter:
        def post(self, message: str) -> None: ...

    class ExtraRequired:
        def post(self, text: str, channel: str) -> None: ...

    assert mismatches(ChatPort, Renamed()) == ["no method 'post'"]
    assert mismatches(ChatPort, OtherParameter()) == [
        "post: no parameter 'text'", "post: positional parameters in the order ['message']",
        "post: extra required parameter 'message'"]
    assert mismatches(ChatPort, ExtraRequired()) == ["post: extra required parameter 'channel'"]


def test_a_keyword_turned_positional_or_a_dropped_default_is_reported(adapters: dict[type, Any]) -> None:
    class Narrower:
        mapping = adapters[ZendeskPort].mapping

        def update_ticket(self, ticket_id: int, priority: str | None = None, *, due_at: None = None) -> None: ...

    problems = mismatches(ZendeskPort, Narrower())
    assert "update_ticket(priority): positional or keyword, the port says keyword-only" in problems
    assert "update_ticket: no parameter 'tags_add'" in problems
    assert "no method 'open_tickets'" in problems


def _statically_checked(zendesk: ZendeskAdapter, hubspot: HubSpotAdapter,
                        chat: ChatAlerts) -> tuple[ZendeskPort, HubSpotPort, ChatPort]:
    """Never called: ``mypy tests/test_ports.py`` checks the same fit, parameter types included."""
    return zendesk, hubspot, chat
