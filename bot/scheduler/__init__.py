"""Ticking: APScheduler drives the cadence; the truth stays in the database."""
