"""Web API clients: every call goes through SLACK_API_URL."""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)


def interactive_client(*, token: str, base_url: str) -> WebClient:
    """For calls made while a person waits (modals, lookups): a couple of quick retries, short timeout."""
    return WebClient(
        token=token,
        base_url=base_url,
        timeout=5,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=1),
            RateLimitErrorRetryHandler(max_retry_count=1),
            ServerErrorRetryHandler(max_retry_count=1),
        ],
    )


def delivery_client(*, token: str, base_url: str, timeout: int = 10) -> WebClient:
    """For the outbox worker, which schedules its own retries from the database."""
    return WebClient(token=token, base_url=base_url, timeout=timeout, retry_handlers=[])
