"""Rendering: Slack-safe text, Jinja templates and Block Kit builders."""
