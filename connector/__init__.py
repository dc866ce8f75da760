"""Recovery connector: survey answers in, REACT recovery cases out to Zendesk and HubSpot."""
