"""Warroom: a Slack bot for incident war-room communication."""

__version__ = "0.1.0"
