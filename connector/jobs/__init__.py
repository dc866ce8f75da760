"""Durable jobs: enqueued in the same transaction as the data, run by workers with a lease."""
