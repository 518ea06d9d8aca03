"""Slack plumbing shared by the listeners and the workers: Web API clients and the people directory."""
