"""Run as a separate OS process by test_reservations: reserves one unit at a time, prints the count.

usage: python reserve_worker.py DATABASE_URL WORKER ITEM_ID LOCATION_ID ATTEMPTS
"""

from __future__ import annotations

import asyncio
import sys

from orderhub.hub.stock.reservations import ReservationRequest, reserve
from orderhub.hub.store.db import create_engine
from orderhub.hub.store.tables import OrderRow
from orderhub.hub.store.types import utcnow
from orderhub.hub.store.unit_of_work import unit_of_work_factory


async def main(url: str, worker: int, item_id: int, location_id: int, attempts: int) -> int:
    engine = create_engine(url)
    sessions = unit_of_work_factory(engine)
    granted = 0
    try:
        for n in range(attempts):
            order_id = f"ord_p{worker}_{n:03d}"
            async with sessions() as session, session.begin():
                session.add(
                    OrderRow(
                        id=order_id,
                        connection_id="manual",
                        external_id=order_id,
                        number=order_id,
                        status="pending",
                        financial_status="paid",
                        currency="EUR",
                        total_amount=0,
                        placed_at=utcnow(),
                        version=1,
                    )
                )
                await session.flush()
                request = ReservationRequest(
                    line_id="l1", item_id=item_id, location_id=location_id, quantity=1
                )
                if not await reserve(session, order_id, [request]):
                    granted += 1
    finally:
        await engine.dispose()
    return granted


if __name__ == "__main__":
    url, worker, item_id, location_id, attempts = sys.argv[1:6]
    print(asyncio.run(main(url, int(worker), int(item_id), int(location_id), int(attempts))))
