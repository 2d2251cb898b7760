"""REST route handlers, grouped by resource. :func:`build_router` registers them all."""

from __future__ import annotations

from ..rest import Router, Services
from . import channels, core, interactions, messages


def build_router(services: Services) -> Router:
    router = Router()
    core.register(router, services)
    messages.register(router, services)
    channels.register(router, services)
    interactions.register(router, services)
    return router
