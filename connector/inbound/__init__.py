"""Inbound deliveries: verification, validation and intake of survey answers."""
