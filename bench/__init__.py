"""Benchmarks that run the real Warroom server as a user would; run them from the repository root."""
