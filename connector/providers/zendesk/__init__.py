"""Zendesk: one recovery ticket per case, through zenpy."""
from connector.providers.zendesk.adapter import ZendeskAdapter

__all__ = ["ZendeskAdapter"]
