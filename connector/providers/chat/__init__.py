"""Alerts to a team chat (Slack- or Teams-style incoming webhook)."""
from connector.providers.chat.adapter import ChatAlerts

__all__ = ["ChatAlerts"]
