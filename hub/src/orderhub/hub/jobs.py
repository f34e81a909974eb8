"""The arq queue on Redis: how the API and the jobs ask the worker to do something soon."""

from __future__ import annotations

import logging
from typing import Any

from arq import create_pool
from arq.connections import ArqRedis, RedisSettings

log = logging.getLogger(__name__)


class JobQueue:
    """One Redis pool per process, opened on first use."""

    def __init__(self, redis_url: str, queue_name: str) -> None:
        self.redis_url = redis_url
        self.queue_name = queue_name
        self._pool: ArqRedis | None = None

    async def redis(self) -> ArqRedis:
        if self._pool is None:
            self._pool = await create_pool(
                RedisSettings.from_dsn(self.redis_url), default_queue_name=self.queue_name
            )
        return self._pool

    async def enqueue(
        self, function: str, *args: Any, job_id: str, defer_by: float | None = None
    ) -> bool:
        """Ask the worker to run a job soon (or in `defer_by` seconds). Best effort: the
        database row is the truth, and the sweeper re-enqueues anything that Redis lost.
        Returns whether Redis took it (False too when a job with this id is still queued)."""
        try:
            queue = await self.redis()
            job = await queue.enqueue_job(function, *args, _job_id=job_id, _defer_by=defer_by)
            return job is not None
        except Exception as exc:  # Redis down or flushed mid-call: the sweeper catches up
            log.warning("could not enqueue %s %s: %s", function, job_id, exc)
            return False

    async def aclose(self) -> None:
        if self._pool is not None:
            await self._pool.aclose()
            self._pool = None
