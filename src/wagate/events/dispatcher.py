"""The webhook dispatcher: sends outbox deliveries over HTTP, with retries.

One background task claims due deliveries from the outbox (leased, so several
dispatchers or processes can share one database) and POSTs them concurrently. A 2xx
answer settles a delivery; anything else, a timeout or a connection error schedules
the next attempt, until the delivery's attempts are used up and it is dead. If the
process dies mid-delivery the lease runs out and the delivery is sent again: webhook
receivers see each event at least once (``X-Webhook-Request-Id`` identifies it).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import httpx

from wagate.domain.clock import now_ms
from wagate.domain.webhooks import Delivery
from wagate.events.retry import next_delay_seconds, retry_after_seconds
from wagate.events.signing import headers_for
from wagate.store.repositories.outbox import OutboxRepository

logger = logging.getLogger(__name__)

# After an unexpected error (the database is down, say) the loop waits this long,
# doubling up to the maximum, before it tries again.
_ERROR_BACKOFF_SECONDS = 1.0
_MAX_ERROR_BACKOFF_SECONDS = 30.0
_ERROR_TEXT_LIMIT = 500


class WebhookDispatcher:
    """Delivers the outbox. ``start()`` it once, ``stop()`` it at shutdown.

    ``client`` is used as given and left open; without one the dispatcher opens its own
    on ``start()`` and closes it on ``stop()``. ``lease_ms`` must outlast a whole pass
    (``batch / concurrency`` rounds of ``timeout_seconds``), or a slow pass's rows can be
    claimed again by another dispatcher and sent twice.
    """

    def __init__(
        self,
        outbox: OutboxRepository,
        *,
        client: httpx.AsyncClient | None = None,
        concurrency: int = 16,
        batch: int = 64,
        lease_ms: int = 60_000,
        timeout_seconds: float = 10,
        poll_interval: float = 0.5,
    ) -> None:
        if concurrency < 1 or batch < 1:
            raise ValueError("concurrency and batch must be at least 1")
        if lease_ms <= timeout_seconds * 1000:
            raise ValueError("lease_ms must be longer than the request timeout")
        self._outbox = outbox
        self._client = client
        self._own_client = False
        self._concurrency = concurrency
        self._batch = batch
        self._lease_ms = lease_ms
        self._timeout = timeout_seconds
        self._poll_interval = poll_interval
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        """Start the background loop (call from within the running event loop)."""
        if self._task is not None:
            raise RuntimeError("the dispatcher is already started")
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self._timeout)
            self._own_client = True
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name="wagate-webhook-dispatcher")

    def wake(self) -> None:
        """New deliveries were committed: look for due rows now, not at the next poll."""
        self._wake.set()

    async def stop(self, grace_seconds: float = 5.0) -> None:
        """Stop the loop: let the current pass finish for up to ``grace_seconds``, then
        cancel it (its unsent rows are retried once their lease runs out)."""
        task, self._task = self._task, None
        if task is not None:
            self._stopping = True
            self._wake.set()
            done, _ = await asyncio.wait({task}, timeout=grace_seconds)
            if not done:
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._own_client and self._client is not None:
            await self._client.aclose()
            self._client = None
            self._own_client = False

    async def deliver_due(self) -> int:
        """One pass: claim up to ``batch`` due deliveries and send them; returns how many.

        Send failures are recorded on the deliveries, not raised; a database error
        while claiming is raised.
        """
        deliveries = await self._outbox.claim(self._batch, self._lease_ms)
        if not deliveries:
            return 0
        client = self._client
        if client is None:  # one pass without start(): a private client for the pass
            async with httpx.AsyncClient(timeout=self._timeout) as own:
                await self._send_all(own, deliveries)
        else:
            await self._send_all(client, deliveries)
        return len(deliveries)

    async def _run(self) -> None:
        backoff = _ERROR_BACKOFF_SECONDS
        while not self._stopping:
            self._wake.clear()
            try:
                sent = await self.deliver_due()
            except Exception:
                logger.exception("webhook dispatcher pass failed; retrying in %.0fs", backoff)
                await self._idle(backoff)
                backoff = min(backoff * 2, _MAX_ERROR_BACKOFF_SECONDS)
                continue
            backoff = _ERROR_BACKOFF_SECONDS
            if sent < self._batch:  # a full batch suggests more rows are due already
                await self._idle(self._poll_interval)

    async def _idle(self, seconds: float) -> None:
        """Sleep until ``wake()`` or ``seconds`` pass."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._wake.wait()

    async def _send_all(self, client: httpx.AsyncClient, deliveries: list[Delivery]) -> None:
        """Send a claimed batch; successes are recorded together at the end of the pass
        (one transaction instead of one per delivery — if the process dies before, the
        leases run out and those deliveries are sent again: at least once)."""
        semaphore = asyncio.Semaphore(self._concurrency)
        delivered: dict[str, int] = {}

        async def guarded(delivery: Delivery) -> None:
            async with semaphore:
                try:
                    status_code = await self._send(client, delivery)
                except Exception:
                    # Most likely the outcome could not be saved; the lease will run out
                    # and the delivery will be tried again.
                    logger.exception("webhook delivery %s: could not record outcome", delivery.id)
                else:
                    if status_code is not None:
                        delivered[delivery.id] = status_code

        await asyncio.gather(*(guarded(delivery) for delivery in deliveries))
        if delivered:
            await self._outbox.mark_delivered_many(delivered)

    async def _send(self, client: httpx.AsyncClient, delivery: Delivery) -> int | None:
        """POST one delivery; returns the HTTP status on success, records a failure."""
        body = delivery.body.encode()
        started = now_ms()
        status_code: int | None = None
        retry_after: float | None = None
        try:
            response = await client.post(
                delivery.url,
                content=body,
                headers=headers_for(delivery, body, started),
                timeout=self._timeout,
            )
        except Exception as exc:  # timeouts, refused connections, bad URLs, …
            error = f"{type(exc).__name__}: {exc}".strip().rstrip(":")
        else:
            status_code = response.status_code
            if response.is_success:
                logger.debug("webhook delivery %s: HTTP %d", delivery.id, status_code)
                return status_code
            error = f"HTTP {status_code}"
            retry_after = retry_after_seconds(response.headers.get("Retry-After"), now_ms())
        await self._record_failure(delivery, status_code, error[:_ERROR_TEXT_LIMIT], retry_after)
        return None

    async def _record_failure(
        self,
        delivery: Delivery,
        status_code: int | None,
        error: str,
        retry_after: float | None,
    ) -> None:
        attempt = delivery.attempts + 1
        retries = delivery.retries
        if attempt < retries.attempts:
            delay = next_delay_seconds(retries.policy, retries.delay_seconds, attempt)
            delay = max(delay, retry_after or 0.0)
            next_attempt_at: int | None = now_ms() + round(delay * 1000)
            logger.info(
                "webhook delivery %s (%s to %s) attempt %d failed: %s; retrying in %.1fs",
                delivery.id,
                delivery.event,
                delivery.url,
                attempt,
                error,
                delay,
            )
        else:
            next_attempt_at = None
            logger.warning(
                "webhook delivery %s (%s to %s) is dead after %d attempts: %s",
                delivery.id,
                delivery.event,
                delivery.url,
                attempt,
                error,
            )
        await self._outbox.mark_failed(
            delivery.id, status_code=status_code, error=error, next_attempt_at=next_attempt_at
        )
