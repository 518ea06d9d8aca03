"""The public side: the status page, the Statuspage-compatible API, the feeds and signed webhooks."""
