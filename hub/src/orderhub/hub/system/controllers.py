"""`/health` says the process answers; `/ready` says the database and Redis answer too."""

from __future__ import annotations

import sqlalchemy as sa
from litestar import Response, get

from orderhub.hub.auth.middleware import PUBLIC_SECURITY
from orderhub.hub.deps import HubDep


@get("/health", tags=["system"], security=PUBLIC_SECURITY, summary="Liveness probe")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@get(
    "/ready",
    tags=["system"],
    security=PUBLIC_SECURITY,
    summary="Readiness probe: database and Redis",
)
async def ready(hub: HubDep) -> Response[dict[str, object]]:
    checks: dict[str, str] = {}
    try:
        async with hub.read() as session:
            await session.execute(sa.text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"error: {type(exc).__name__}"
    try:
        queue = await hub.queue()
        await queue.ping()
        checks["redis"] = "ok"
    except Exception as exc:
        checks["redis"] = f"error: {type(exc).__name__}"
    ok = all(value == "ok" for value in checks.values())
    return Response({"ready": ok, "checks": checks}, status_code=200 if ok else 503)
