"""How a Wawp route is declared: authenticate, find the instance, validate, call.

Wawp routes take their parameters from the query string, a form or a JSON body at once,
so handlers do not use FastAPI's parameter injection. :meth:`WawpRouter.wawp` wraps a
handler with the fixed order every route follows — access token (401), instance (400 when
missing, 404 when unknown or foreign), then the route's own parameters (400) — and
documents the route's parameter model in OpenAPI.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from wagate.domain.models import AccessToken, Session
from wagate.errors import MissingParamError
from wagate.http.openapi import error_responses, openapi_extra
from wagate.http.params import read_params, validate
from wagate.services.container import Services

P = TypeVar("P", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class Call(Generic[P]):
    """Everything a Wawp handler gets: its validated parameters and who is calling."""

    params: P
    token: AccessToken
    services: Services
    session_: Session | None

    @property
    def session(self) -> Session:
        """The instance of the call (routes declared with ``instance=True``)."""
        assert self.session_ is not None
        return self.session_


Handler = Callable[[Call[P]], Awaitable[Any]]


def services_of(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


class WawpRouter(APIRouter):
    """An APIRouter that knows Wawp's calling conventions and its parameter models."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.param_models: list[type[BaseModel]] = []

    def wawp(
        self,
        path: str,
        model: type[P],
        *,
        methods: Sequence[str],
        summary: str,
        instance: bool = True,
        errors: Sequence[int] = (),
        response_model: type[BaseModel] | None = None,
    ) -> Callable[[Handler[P]], Handler[P]]:
        """Declare ``handler`` as the Wawp route ``path``."""

        def decorate(handler: Handler[P]) -> Handler[P]:
            async def endpoint(request: Request) -> Response:
                services = services_of(request)
                raw = await read_params(request)
                raw.update(request.path_params)  # /presence/{chatId} and the like
                token = await services.tokens.authenticate(raw.get("access_token"))
                session = None
                if instance:
                    if raw.get("instance_id") in (None, ""):
                        raise MissingParamError("instance_id")
                    session = await services.sessions.get_for(token, raw["instance_id"])
                params = validate(model, raw)
                result = await handler(Call(params, token, services, session))
                if isinstance(result, Response):
                    return result
                return JSONResponse(result)

            statuses = {400, 401, *errors} | ({404} if instance else set())
            self.param_models.append(model)
            for method in methods:  # one route per method: unique OpenAPI operation ids
                self.add_api_route(
                    path,
                    endpoint,
                    methods=[method],
                    summary=summary,
                    description=handler.__doc__,
                    name=handler.__name__,
                    openapi_extra=openapi_extra(model, [method], path=path),
                    responses={
                        200: {"model": response_model} if response_model else {},
                        **error_responses(*sorted(statuses)),
                    },
                    response_model=None,
                )
            return handler

        return decorate
