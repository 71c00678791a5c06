"""Outbox (services layer): notifications waiting to be delivered exactly once."""
