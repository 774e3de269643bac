"""One to one call: two users register by name, one calls, the other accepts, and each
sees the other (Kurento's one2one tutorial, on our Python client).

Messages (page → server): ``register {name}``, ``call {to, sdpOffer}``,
``incomingCallResponse {from, callResponse: "accept"|"reject", sdpOffer}``,
``onIceCandidate {candidate}``, ``stop``. (server → page): ``registerResponse
{response, message}``, ``incomingCall {from}``, ``callResponse {response, sdpAnswer |
message}``, ``startCommunication {sdpAnswer}``, ``stopCommunication``, ``iceCandidate
{candidate}``, ``error {message, code}``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

from examples.common import (
    MEDIA_SERVER_KEY,
    Json,
    MediaServer,
    Signal,
    WebRtcSession,
    open_signal,
    release_quietly,
    static_app,
)
from kurento.client import MediaPipeline

STATIC = Path(__file__).resolve().parent / "static"


@dataclass(eq=False)
class User:
    name: str
    signal: Signal
    webrtc: WebRtcSession
    sdp_offer: str | None = None
    peer: str | None = None  # who this user calls or is called by
    pipeline: MediaPipeline | None = None


@dataclass
class Registry:
    """The users registered on this application, by name."""

    users: dict[str, User] = field(default_factory=dict)

    def register(self, name: str, signal: Signal) -> User | None:
        if not name or name in self.users:
            return None
        user = User(name, signal, WebRtcSession(signal))
        self.users[name] = user
        return user


REGISTRY_KEY = web.AppKey("one_to_one_registry", Registry)


class OneToOne:
    """The messages of one page."""

    def __init__(self, signal: Signal, registry: Registry, media: MediaServer) -> None:
        self.signal = signal
        self.registry = registry
        self.media = media
        self.user: User | None = None

    async def register(self, message: Json) -> None:
        name = str(message.get("name") or "")
        user = None if self.user else self.registry.register(name, self.signal)
        if user is None:
            why = "already registered" if self.user or name else "empty user name"
            await self.signal.send("registerResponse", response="rejected",
                                   message=f"{name!r}: {why}" if name else why)
            return
        self.user = user
        await self.signal.send("registerResponse", response="accepted")

    async def call(self, message: Json) -> None:
        caller = self._me()
        callee = self.registry.users.get(str(message.get("to") or ""))
        if callee is None or callee is caller or callee.peer or caller.peer:
            why = "is not registered" if callee is None else "cannot take this call"
            await self.signal.send("callResponse", response="rejected",
                                   message=f"user {message.get('to')!r} {why}")
            return
        caller.sdp_offer = str(message.get("sdpOffer") or "")
        caller.peer, callee.peer = callee.name, caller.name
        await callee.signal.send("incomingCall", **{"from": caller.name})

    async def incoming_call_response(self, message: Json) -> None:
        callee = self._me()
        caller = self.registry.users.get(str(message.get("from") or ""))
        if caller is None or caller.peer != callee.name or callee.peer != caller.name:
            await self.signal.send("stopCommunication")
            return
        if message.get("callResponse") != "accept":
            caller.peer = callee.peer = None
            await caller.signal.send("callResponse", response="rejected",
                                     message=f"user {callee.name!r} declined")
            return
        callee.sdp_offer = str(message.get("sdpOffer") or "")
        try:
            await self._connect(caller, callee)
        except BaseException:
            await caller.signal.send("callResponse", response="rejected",
                                     message="the media server could not set up the call")
            await self.hang_up(callee)
            raise

    async def _connect(self, caller: User, callee: User) -> None:
        pipeline = await self.media.pipeline()
        caller.pipeline = callee.pipeline = pipeline
        caller_endpoint = await caller.webrtc.create_endpoint(pipeline)
        callee_endpoint = await callee.webrtc.create_endpoint(pipeline)
        await caller_endpoint.connect(callee_endpoint)
        await callee_endpoint.connect(caller_endpoint)
        callee_answer = await callee.webrtc.answer(callee.sdp_offer)
        await callee.signal.send("startCommunication", sdpAnswer=callee_answer)
        await callee.webrtc.gather()
        caller_answer = await caller.webrtc.answer(caller.sdp_offer)
        await caller.signal.send("callResponse", response="accepted", sdpAnswer=caller_answer)
        await caller.webrtc.gather()

    async def hang_up(self, user: User | None) -> None:
        """Ends ``user``'s call (if any) on both sides; the other page is told."""
        if user is None:
            return
        other = self.registry.users.get(user.peer) if user.peer else None
        pipeline = user.pipeline
        for party in (user, other):
            if party is not None:
                party.peer, party.pipeline, party.sdp_offer = None, None, None
                party.webrtc.reset()
        if other is not None:
            await other.signal.send("stopCommunication")
        await release_quietly(pipeline)

    async def candidate(self, message: Json) -> None:
        await self._me().webrtc.add_candidate(message.get("candidate"))

    async def close(self) -> None:
        await self.hang_up(self.user)
        if self.user is not None and self.registry.users.get(self.user.name) is self.user:
            del self.registry.users[self.user.name]

    def _me(self) -> User:
        if self.user is None:
            raise ValueError("register first")
        return self.user


async def websocket(request: web.Request) -> web.WebSocketResponse:
    signal = await open_signal(request)
    page = OneToOne(signal, request.app[REGISTRY_KEY], request.config_dict[MEDIA_SERVER_KEY])
    try:
        await signal.serve(
            "one_to_one",
            {
                "register": page.register,
                "call": page.call,
                "incomingCallResponse": page.incoming_call_response,
                "onIceCandidate": page.candidate,
                "stop": lambda m: page.hang_up(page.user),
            },
        )
    finally:
        await page.close()
    return signal.ws


def create_app() -> web.Application:
    app = static_app(STATIC, websocket)
    app[REGISTRY_KEY] = Registry()
    return app
