"""The back-office console: server-rendered pages under /console over the hub's services.

Jinja2 templates through litestar's template engine, htmx (vendored in `static/`) for the
few parts that update in place, no front-end build. `console_routes()` and
`template_config()` are what the app registers.
"""

from __future__ import annotations

from pathlib import Path

from litestar import Router
from litestar.static_files import create_static_files_router
from litestar.template import TemplateConfig

HERE = Path(__file__).parent
PATH = "/console"


def console_routes() -> list[Router]:
    """The console's pages (signed-in, CSRF-checked) and its static files (public)."""

    from orderhub.hub.console import (
        connections,
        dashboard,
        labels,
        orders,
        routing,
        signin,
        stock,
        warehouse,
    )
    from orderhub.hub.console.security import PUBLIC, ConsoleAuthMiddleware, check_csrf
    from orderhub.hub.console.web import EXCEPTION_HANDLERS

    pages = Router(
        path=PATH,
        route_handlers=[
            signin.sign_in_form,
            signin.sign_in,
            signin.sign_out,
            dashboard.dashboard,
            orders.order_list,
            orders.bulk,
            orders.order_page,
            orders.cancel_one,
            orders.clear_hold,
            orders.reroute,
            orders.edit_address,
            stock.stock_list,
            stock.movements,
            stock.stock_item,
            stock.adjust,
            stock.transfer,
            warehouse.warehouse,
            warehouse.release_now,
            warehouse.confirm_picks,
            warehouse.pack,
            labels.buy_label,
            labels.buy_labels,
            labels.label_document,
            labels.print_labels,
            connections.connections,
            connections.replay_inbox,
            connections.replay_outbox,
            routing.routing,
            routing.simulate_order,
        ],
        middleware=[ConsoleAuthMiddleware()],
        before_request=check_csrf,
        exception_handlers=EXCEPTION_HANDLERS,
        include_in_schema=False,
    )
    static = create_static_files_router(
        path=PATH + "/static",
        directories=[HERE / "static"],
        opt={PUBLIC: True},
        include_in_schema=False,
        name="console-static",
    )
    return [pages, static]


def template_config() -> TemplateConfig:
    from litestar.plugins.jinja import JinjaTemplateEngine

    from orderhub.hub.console.templating import environment

    return TemplateConfig(
        instance=JinjaTemplateEngine.from_environment(environment(HERE / "templates"))
    )
