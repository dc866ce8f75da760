"""What the use cases and the adapters agree on: frozen snapshots, ports, typed errors, keys."""
