"""One folder per vendor; each adapter satisfies its port in ``connector.ports.vendors``."""
