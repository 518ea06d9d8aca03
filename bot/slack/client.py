"""Web API clients: every call goes through SLACK_API_URL."""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
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


def retry_after(error: SlackApiError) -> float:
    """The seconds Slack's answer asks to wait before trying again (its Retry-After header); 1 when it names none."""
    headers = error.response.headers if error.response is not None else {}
    for name, value in (headers or {}).items():
        if str(name).lower() == "retry-after":
            raw = value[0] if isinstance(value, list) and value else value
            try:
                return max(float(raw), 0.0)
            except (TypeError, ValueError):
                break
    return 1.0
