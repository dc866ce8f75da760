"""Survey tools' webhooks, one module per vendor, all mapped to the generic answer."""
