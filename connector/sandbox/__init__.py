"""Strict local stand-ins of the Zendesk and HubSpot APIs.

They power sandbox mode (``make run``) and the end-to-end tests, where the
real SDKs talk to them over HTTP. They are as strict as the real APIs on the
parts the connector uses: unknown fields and enum values are rejected, batch
limits hold, and a configured rate limit answers 429 with ``Retry-After``.
"""
