"""HubSpot: contact properties and REACT stage tasks, through hubspot-api-client."""
from connector.providers.hubspot.adapter import HubSpotAdapter

__all__ = ["HubSpotAdapter"]
