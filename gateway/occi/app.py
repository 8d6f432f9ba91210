"""``/occi/``: authenticate, negotiate, route by location, call one kind handler, render.

The locations (GFD.185 §3.4): the query interface at ``/-/`` and its ``.well-known`` twin, one
collection per kind (``/compute/``, ``/storage/``, ``/network/``, ``/link/networkinterface/``,
``/link/storagelink/``) with its entities below it, and one collection per mixin under
``/mixin/``. Everything is answered here, 405 included, so every refusal has a text body and
this API's headers.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from typing import Final

from starlette.applications import Starlette
from starlette.responses import Response

from core import Services
from core.errors import CoreError, NotFound
from core.views import Caller
from gateway.common import (
    ApiRequest,
    Endpoint,
    ErrorRenderers,
    HeadersTooLarge,
    Limits,
    RequestTooLarge,
    Throttled,
    api_app,
)
from gateway.common.http_auth import Unauthenticated, caller_of
from gateway.occi import text
from gateway.occi.categories import Category, Class, Value
from gateway.occi.compute import Computes
from gateway.occi.document import Document, Entity, Malformed
from gateway.occi.kinds import Context, KindHandler
from gateway.occi.links import NetworkInterfaces, StorageLinks
from gateway.occi.network import Networks
from gateway.occi.protocol import Answers, Exchange, OcciError, error_response, negotiate
from gateway.occi.protocol import read_document as read
from gateway.occi.schema import ACTIONS, FIXED, KINDS, MIXINS, PREFIX, RESOURCE
from gateway.occi.storage import Storages
from translations.errors import names_of

log = logging.getLogger(__name__)

QUERY_INTERFACES: Final = ("/-/", "/.well-known/org/ogf/occi/-/")
REALM: Final = 'Basic realm="Cloudgate OCCI"'
METHODS: Final = ("GET", "POST", "PUT", "DELETE")


def _not_allowed(allowed: str) -> OcciError:
    return OcciError(405, f"allowed here: {allowed}", {"Allow": allowed})


class OcciApi:
    def __init__(self, services: Services) -> None:
        self._services = services
        handlers: list[KindHandler] = [
            Computes(),
            Storages(),
            Networks(),
            NetworkInterfaces(),
            StorageLinks(),
        ]
        self._handlers = {
            h.kind.location.removeprefix(PREFIX): h for h in handlers if h.kind.location
        }

    def app(self, limits: Limits) -> Starlette:
        errors = (
            ErrorRenderers()
            .on(OcciError, lambda exc, _r: error_response(exc, None))
            .on(Malformed, lambda exc, _r: error_response(OcciError(400, str(exc)), None))
            .on(CoreError, lambda exc, _r: error_response(_from_core(exc), None))
            .on(RequestTooLarge, lambda exc, _r: error_response(_too_large(exc), None))
            .on(HeadersTooLarge, lambda exc, _r: error_response(OcciError(431, str(exc)), None))
            .on(Throttled, lambda exc, _r: error_response(_throttled(exc), None))
            .on(Exception, lambda _exc, r: error_response(_internal(r), None))
        )
        return api_app("occi", [Endpoint("/{path:path}", self.handle, METHODS)], errors, limits)

    def handle(self, request: ApiRequest) -> Response:
        caller = self._authenticate(request)
        request.admit(str(caller.account_id))
        path = "/" + request.path.removeprefix(PREFIX).lstrip("/")
        if path in QUERY_INTERFACES:
            return self._query_interface(request, caller)
        if path == "/":
            return self._everything(request, caller)
        if path.startswith("/mixin/"):
            return self._mixin_collection(request, caller, path)
        for collection, handler in self._handlers.items():
            if path == collection:
                return self._collection(request, caller, handler)
            if path.startswith(collection):
                return self._entity(request, caller, handler, path.removeprefix(collection))
        raise OcciError(404, f"nothing at {request.path}: GET {PREFIX}/-/ for the locations")

    # identity

    def _authenticate(self, request: ApiRequest) -> Caller:
        try:
            return caller_of(self._services, request.headers)
        except Unauthenticated as exc:
            raise OcciError(401, str(exc), {"WWW-Authenticate": REALM}) from None

    def _context(self, caller: Caller, exchange: Exchange) -> Context:
        return Context(self._services, caller, exchange.version)

    # the query interface

    def _query_interface(self, request: ApiRequest, caller: Caller) -> Response:
        if request.method == "PUT":
            raise _not_allowed("GET, POST, DELETE")
        if request.method in ("POST", "DELETE"):
            raise OcciError(
                403,
                "user-defined mixins are not offered: tag resources through the EC2 or native "
                "API instead",
            )
        exchange = negotiate(request.headers, listing=False)
        ctx = self._context(caller, exchange)
        categories = [*KINDS, *MIXINS, *ctx.templates.mixins(), *ACTIONS]
        wanted = {c.identifier for c in text.parse_headers(request.headers).categories}
        if wanted:
            categories = [c for c in categories if c.identifier in wanted]
        return Answers(exchange).categories(categories)

    # collections

    def _listing(self, request: ApiRequest, entities: Sequence[Entity]) -> Response:
        """A collection filtered by the request's Category and X-OCCI-Attribute headers."""
        exchange = negotiate(request.headers, listing=True)
        wanted = text.parse_headers(request.headers)
        kept = [e for e in entities if _matches(e, wanted)]
        return Answers(exchange).locations([e.location for e in kept], kept)

    def _everything(self, request: ApiRequest, caller: Caller) -> Response:
        if request.method != "GET":
            raise _not_allowed("GET")
        exchange = negotiate(request.headers, listing=True)
        ctx = self._context(caller, exchange)
        resources = [h for h in self._handlers.values() if RESOURCE.identifier in h.kind.related]
        return self._listing(request, [e for h in resources for e in h.list(ctx)])

    def _mixin_collection(self, request: ApiRequest, caller: Caller, path: str) -> Response:
        if request.method != "GET":
            raise OcciError(
                403, "provider mixins are applied when a resource is created, not associated"
            )
        exchange = negotiate(request.headers, listing=True)
        ctx = self._context(caller, exchange)
        location = f"{PREFIX}{path}"
        mixin = next(
            (m for m in [*MIXINS, *ctx.templates.mixins()] if m.location == location), None
        )
        if mixin is None:
            raise OcciError(404, f"no mixin at {location}")
        members = [
            e
            for h in self._handlers.values()
            if h.kind.identifier in mixin.applies
            for e in h.list(ctx)
            if any(mixin.identifier in (m.identifier, *m.related) for m in e.mixins)
        ]
        return Answers(exchange).locations([e.location for e in members], members)

    def _collection(self, request: ApiRequest, caller: Caller, handler: KindHandler) -> Response:
        method = request.method
        if method == "GET":
            exchange = negotiate(request.headers, listing=True)
            return self._listing(request, handler.list(self._context(caller, exchange)))
        if method not in ("POST", "DELETE"):
            raise _not_allowed("GET, POST, DELETE")
        exchange = negotiate(request.headers, listing=False)
        ctx = self._context(caller, exchange)
        answers = Answers(exchange)
        if method == "DELETE":
            handler.delete(ctx, [_id_of(e) for e in handler.list(ctx)], whole_collection=True)
            return answers.done()
        doc = read(request.headers, request.body)
        action = _action(request, doc, handler)
        if action is not None:
            ids = [_id_of(e) for e in handler.list(ctx)]
            handler.act(ctx, ids, action, _action_attributes(doc))
            return answers.done()
        _require_kind(doc, handler.kind)
        return answers.created(handler.create(ctx, doc))

    # entities

    def _entity(
        self, request: ApiRequest, caller: Caller, handler: KindHandler, tail: str
    ) -> Response:
        try:
            id_ = uuid.UUID(tail.rstrip("/"))
        except ValueError:
            raise OcciError(404, f"no {handler.kind.term} at {request.path}") from None
        exchange = negotiate(request.headers, listing=False)
        ctx = self._context(caller, exchange)
        answers = Answers(exchange)
        match request.method:
            case "GET":
                return answers.entities([handler.get(ctx, id_)])
            case "DELETE":
                handler.get(ctx, id_)
                handler.delete(ctx, [id_])
                return answers.done()
            case "POST":
                doc = read(request.headers, request.body)
                action = _action(request, doc, handler)
                if action is not None:
                    handler.get(ctx, id_)
                    handler.act(ctx, [id_], action, _action_attributes(doc))
                    return answers.done()
                _require_kind(doc, handler.kind, required=False)
                return answers.entities([handler.update(ctx, id_, doc)])
            case _:
                return self._put(request, ctx, answers, handler, id_)

    def _put(
        self,
        request: ApiRequest,
        ctx: Context,
        answers: Answers,
        handler: KindHandler,
        id_: uuid.UUID,
    ) -> Response:
        """PUT creates the entity at this location when there is none (its id is then the
        location's), else replaces what can change, as a POST update would."""
        doc = read(request.headers, request.body)
        _require_kind(doc, handler.kind)
        if doc.links:
            raise OcciError(400, "PUT does not change links: POST or DELETE them")
        try:
            handler.get(ctx, id_)
        except (NotFound, OcciError):
            given = doc.attributes.get("occi.core.id")
            if given is not None and str(given).removeprefix("urn:uuid:") != str(id_):
                raise OcciError(400, "occi.core.id differs from the location's id") from None
            attributes = {**doc.attributes, "occi.core.id": str(id_)}
            created = Document(doc.categories, attributes, doc.links, doc.locations)
            return answers.created(handler.create(ctx, created))
        return answers.entities([handler.update(ctx, id_, doc)])


def _id_of(entity: Entity) -> uuid.UUID:
    return uuid.UUID(str(entity.attribute("occi.core.id")))


def _matches(entity: Entity, wanted: Document) -> bool:
    categories = {entity.kind.identifier, *(m.identifier for m in entity.mixins)}
    if any(c.identifier not in categories for c in wanted.categories):
        return False
    return all(entity.attribute(name) == value for name, value in wanted.attributes.items())


def _action(request: ApiRequest, doc: Document, handler: KindHandler) -> Category | None:
    """The action a POST triggers: ``?action=term``, with the body's action Category (when
    sent) naming the same one. None for a POST that is not an action."""
    term = next((v for k, v in request.query if k == "action"), None)
    named = doc.of_class("action")
    if term is None:
        if named:
            raise OcciError(400, "an action is triggered at <location>?action=<term>")
        return None
    offered = [FIXED[a] for a in handler.kind.actions]
    matching = [a for a in offered if a.term == term]
    if not matching:
        raise OcciError(400, f"no action {term!r} on a {handler.kind.term}")
    action = matching[0]
    if named and named[0].identifier != action.identifier:
        raise OcciError(400, f"the body names {named[0].identifier}, the query {term!r}")
    return action


def _action_attributes(doc: Document) -> dict[str, Value]:
    """Action parameters by their bare names: rOCCI-cli and 1.2 send ``method``, some clients
    the qualified ``occi.compute.method``."""
    return {name.rpartition(".")[2]: value for name, value in doc.attributes.items()}


def _require_kind(doc: Document, kind: Category, *, required: bool = True) -> None:
    found = doc.of_class(Class.KIND.value)
    if not found:
        if required:
            raise OcciError(400, f"name the kind: Category: {text.category_text(kind, full=False)}")
        return
    if len(found) > 1:
        raise OcciError(400, "one kind per request")
    if found[0].identifier != kind.identifier:
        if found[0].identifier not in FIXED:
            raise OcciError(404, f"no kind {found[0].identifier}")
        raise OcciError(400, f"a {found[0].term} is not created at {kind.location}")


def _from_core(exc: CoreError) -> OcciError:
    return OcciError(names_of(exc.kind_of_error).occi, str(exc))


def _too_large(exc: RequestTooLarge) -> OcciError:
    return OcciError(413, f"the request body is larger than the {exc.limit} bytes accepted")


def _throttled(exc: Throttled) -> OcciError:
    wait = max(1, round(exc.retry_after))
    return OcciError(429, f"too many requests: retry in {wait} s", {"Retry-After": str(wait)})


def _internal(request: ApiRequest) -> OcciError:
    return OcciError(500, f"internal error (request id {request.request_id})")
