"""The incident domain: flows and rules. Never imports slack_bolt."""
