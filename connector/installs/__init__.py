"""Marketplace installs: many companies (tenants) share one deployment.

* ``crypto``    – tokens and per-tenant secrets encrypted at rest (Fernet, key rotation).
* ``store``     – the installation rows: who connected which vendor account, read and written
                  only through this module so tokens never leave it in clear except to a client.
* ``oauth``     – the vendors' OAuth 2 endpoints (authorize URL, code exchange, refresh).
* ``tokens``    – a valid access token on demand: refreshed before expiry, one refresh at a time
                  per account across every process, purged when the vendor says it is dead.
* ``directory`` – the Zendesk and HubSpot adapters of one tenant, built from its installation.

The single-account environment configuration (``RECOVERY_ZENDESK_*``, ``RECOVERY_HUBSPOT_*``)
keeps working as tenant ``default``.
"""
DEFAULT_TENANT = "default"
VENDORS = ("zendesk", "hubspot")
