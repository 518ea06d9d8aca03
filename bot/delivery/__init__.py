"""Delivery: the outbox worker that posts what the database says Slack is owed."""
