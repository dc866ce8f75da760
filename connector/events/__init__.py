"""What Zendesk and HubSpot tell the connector: stage completions, closed tickets, erasure."""
