"""`/tokens` (admin only): create, list and revoke API tokens."""

from __future__ import annotations

import msgspec
from litestar import Controller, delete, get, post
from litestar.params import FromPath, JSONBody

from orderhub.hub.auth import tokens
from orderhub.hub.auth.middleware import ADMIN_ONLY
from orderhub.hub.auth.schemas import TokenCreated, TokenIn, TokenList, TokenOut
from orderhub.hub.auth.tokens import Role, TokenCacheDep
from orderhub.hub.bodies import StrictBody
from orderhub.hub.deps import HubDep, error_responses
from orderhub.hub.errors import NotFound
from orderhub.hub.store.tables import ApiTokenRow


def _out(row: ApiTokenRow) -> TokenOut:
    return TokenOut(
        name=row.name,
        role=Role(row.role),
        locations=list(row.locations or []),
        prefix=row.prefix,
        created_at=row.created_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
    )


class TokenController(Controller):
    path = "/tokens"
    tags = ["tokens"]
    guards = [ADMIN_ONLY]

    @post(
        "/",
        status_code=201,
        dto=StrictBody[TokenIn],
        return_dto=None,
        summary="Create a token; its secret is shown this once",
        responses=error_responses(400, 403, 409, 413, 422),
    )
    async def create_token(self, hub: HubDep, data: JSONBody[TokenIn]) -> TokenCreated:
        async with hub.transaction() as session:
            secret = await tokens.issue_token(session, data.name, data.role, data.locations)
            row = await tokens.active_token(session, data.name)
            assert row is not None
            out = _out(row)
        return TokenCreated(secret=secret, **msgspec.structs.asdict(out))

    @get("/", summary="List tokens (never their secrets)", responses=error_responses(403))
    async def list_tokens(self, hub: HubDep) -> TokenList:
        async with hub.read() as session:
            return TokenList(items=[_out(row) for row in await tokens.list_tokens(session)])

    @delete("/{name:str}", summary="Revoke a token", responses=error_responses(400, 403, 404))
    async def revoke_token(
        self, hub: HubDep, token_cache: TokenCacheDep, name: FromPath[str]
    ) -> None:
        async with hub.transaction() as session:
            if not await tokens.revoke_token(session, name):
                raise NotFound(f"no active token named {name!r}", code="unknown_token", name=name)
        token_cache.forget(name)
