#!/usr/bin/env python3
"""Fault-injection HTTP/1.1 reverse proxy that sits in front of a test registry.

Python tests use the context manager:

    with FaultProxy(registry.url, rules=[Reset(after_bytes=1 << 20, direction="down")]) as proxy:
        run_client(f"docker://{proxy.host}/repo:tag")
        proxy.set_rules([Respond(status=429, headers={"Retry-After": "2"}, method="PUT", times=2)])
        print(proxy.bytes_up, proxy.bytes_down, proxy.requests)

Benchmark scripts use the CLI, which writes its port and counters to a JSON state file:

    fault_proxy.py --upstream http://127.0.0.1:5000 --rules rules.json --state proxy.json

The proxy listens on 127.0.0.1 and forwards plain HTTP to an upstream on
127.0.0.1 only. It forwards requests and responses byte for byte and streams
bodies in chunks of at most CHUNK_SIZE bytes. It changes only absolute URLs
that point at the upstream (or at another origin in rewrite_origins) in
`Location`, `Content-Location` and the `realm` of `WWW-Authenticate`, so that
clients keep talking to the proxy.

A connection that starts with a TLS ClientHello (first byte 0x16) gets a plain
400 response and is closed, as Go's HTTP server does, so that clients probing
HTTPS first fall back to HTTP at once.

Rules apply to the requests that start after they are set:

- Reset closes the client connection with SO_LINGER 0 (the client gets
  ECONNRESET) after a number of body bytes in one direction.
- Stall stops forwarding, and reading from the sender, for some seconds.
- Respond sends a fixed response to matching requests without forwarding them.
- Bandwidth caps the body bytes per second in one direction (token bucket
  shared by all connections).

Every rule can be limited to requests whose method matches `method`
(re.fullmatch, for example "PATCH|PUT") and whose request target, query
included, matches `path` (re.search). `times` limits how often a rule fires
in total; None means without limit.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import logging
import os
import re
import select
import signal
import socket
import struct
import sys
import termios
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterable, Mapping, Sequence
from urllib.parse import urlsplit

__all__ = ["Bandwidth", "FaultProxy", "RequestRecord", "Reset", "Respond", "Rule", "Stall", "rules_from_json"]

log = logging.getLogger("fault_proxy")

CHUNK_SIZE = 64 * 1024
MAX_HEAD_BYTES = 64 * 1024
MAX_LINE_BYTES = 8 * 1024
# Idle and read timeout on both sockets, so a forgotten connection cannot hold a thread forever.
IO_TIMEOUT_SECONDS = 300.0
# Before a reset, the proxy waits this long for the peer to acknowledge the bytes
# already forwarded, so that it receives exactly the configured byte count.
SEND_QUEUE_DRAIN_SECONDS = 5.0
SEND_QUEUE_POLL_SECONDS = 0.002
# On a graceful close, unread request bytes are discarded for this long, so
# that the kernel sends no reset for them before the client reads the response.
LINGER_SECONDS = 2.0
# A Respond rule reads and discards a request body up to this size, which keeps
# the connection usable. A larger or chunked body closes the connection instead.
RESPOND_DRAIN_LIMIT = 1 << 20
# A token bucket contains at most this many seconds of traffic, which is the largest burst a cap allows.
BANDWIDTH_BURST_SECONDS = 0.05
STOP_JOIN_SECONDS = 5.0
DIRECTIONS = ("up", "down")
LOOPBACK_HOST = "127.0.0.1"

REASONS = {
    200: "OK", 201: "Created", 202: "Accepted", 204: "No Content", 307: "Temporary Redirect",
    400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 408: "Request Timeout",
    413: "Payload Too Large", 416: "Range Not Satisfiable", 429: "Too Many Requests",
    500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout",
}
_REALM = re.compile(r'(realm\s*=\s*")([^"]*)(")', re.IGNORECASE)


# --- Rules --------------------------------------------------------------------


class Rule:
    """Base of all rules: the requests a rule matches, how often it may fire, and its counters.

    Counters (read them at any time): matched (requests that matched), fired
    (faults injected), bytes_up and bytes_down (bytes of matched requests
    received from and sent to the client, added when each request ends).
    """

    kind = "rule"

    def __init__(self, *, method: str | None = None, path: str | None = None, times: int | None = None,
                 name: str | None = None) -> None:
        if times is not None and (not isinstance(times, int) or times < 1):
            raise ValueError(f"{self.kind} rule: invalid times={times!r}: use a positive integer, or None for no limit")
        self.method = method
        self.path = path
        self.times = times
        self.name = name or self.kind
        self._method_pattern = re.compile(method) if method else None
        self._path_pattern = re.compile(path) if path else None
        self._lock = threading.Lock()
        self.matched = 0
        self.fired = 0
        self.bytes_up = 0
        self.bytes_down = 0

    def matches(self, method: str, target: str) -> bool:
        if self._method_pattern and not self._method_pattern.fullmatch(method):
            return False
        return not (self._path_pattern and not self._path_pattern.search(target))

    def try_fire(self) -> bool:
        """Count one firing and return True, unless the rule already fired `times` times."""
        with self._lock:
            if self.times is not None and self.fired >= self.times:
                return False
            self.fired += 1
            return True

    def _count_request(self, bytes_up: int, bytes_down: int) -> None:
        with self._lock:
            self.bytes_up += bytes_up
            self.bytes_down += bytes_down

    def _count_match(self) -> None:
        with self._lock:
            self.matched += 1

    def _reset_counters(self) -> None:
        with self._lock:
            self.matched = self.bytes_up = self.bytes_down = 0

    def counters(self) -> dict:
        with self._lock:
            return {"name": self.name, "kind": self.kind, "matched": self.matched, "fired": self.fired,
                    "bytes_up": self.bytes_up, "bytes_down": self.bytes_down}

    def _parameters(self) -> dict:
        return {}

    def __repr__(self) -> str:
        fields = self._parameters() | {"method": self.method, "path": self.path, "times": self.times}
        text = ", ".join(f"{key}={value!r}" for key, value in fields.items() if value is not None)
        return f"{type(self).__name__}({text})"


def _check_direction(kind: str, direction: str) -> str:
    if direction not in DIRECTIONS:
        raise ValueError(f"{kind} rule: invalid direction {direction!r}: use 'up' (request body) "
                         f"or 'down' (response body)")
    return direction


def _check_byte_count(kind: str, field: str, value: int | None, minimum: int) -> int | None:
    if value is not None and (not isinstance(value, int) or value < minimum):
        raise ValueError(f"{kind} rule: invalid {field}={value!r}: use an integer of at least {minimum}")
    return value


class Reset(Rule):
    """Reset the client connection after a number of body bytes in one direction.

    after_bytes counts the body of each matching request. every_bytes counts the
    bodies of all matching requests on one connection, and each new connection
    starts from zero. Exactly one of them must be set. The reset happens once
    that many payload bytes (chunk framing excluded) were forwarded and
    acknowledged by the receiver. after_bytes=0 with direction="up" resets before
    the request is forwarded. With direction="down" it resets after the response
    head. The upstream connection is reset too.
    """

    kind = "reset"

    def __init__(self, *, after_bytes: int | None = None, every_bytes: int | None = None, direction: str = "down",
                 **match) -> None:
        super().__init__(**match)
        if (after_bytes is None) == (every_bytes is None):
            raise ValueError("reset rule: set exactly one of after_bytes and every_bytes")
        self.after_bytes = _check_byte_count(self.kind, "after_bytes", after_bytes, 0)
        self.every_bytes = _check_byte_count(self.kind, "every_bytes", every_bytes, 1)
        self.direction = _check_direction(self.kind, direction)

    def _parameters(self) -> dict:
        return {"after_bytes": self.after_bytes, "every_bytes": self.every_bytes, "direction": self.direction}


class Stall(Rule):
    """Stop forwarding a matching request for `seconds` after `after_bytes` body bytes in one direction.

    While stalled the proxy reads nothing from the sender, so its TCP window
    fills up. after_bytes=0 with direction="up" (the default) delays the whole
    request before it is forwarded. With direction="down" the stall starts
    after the response head. stop() ends a stall early.
    """

    kind = "stall"

    def __init__(self, *, seconds: float, after_bytes: int = 0, direction: str = "up", **match) -> None:
        super().__init__(**match)
        if not isinstance(seconds, (int, float)) or seconds < 0:
            raise ValueError(f"stall rule: invalid seconds={seconds!r}: use a number of at least 0")
        self.seconds = float(seconds)
        self.after_bytes = _check_byte_count(self.kind, "after_bytes", after_bytes, 0)
        self.direction = _check_direction(self.kind, direction)

    def _parameters(self) -> dict:
        return {"seconds": self.seconds, "after_bytes": self.after_bytes, "direction": self.direction}


class Respond(Rule):
    """Answer matching requests with a fixed response instead of forwarding them.

    The response gets `Content-Length` unless headers set it, and
    `Connection: close` when the proxy closes the connection afterwards. That
    happens when the request body is not read: with `Expect: 100-continue`, a
    chunked body, or a body larger than RESPOND_DRAIN_LIMIT.
    """

    kind = "respond"

    def __init__(self, *, status: int, body: bytes | str = b"", headers: Mapping[str, str] | None = None,
                 reason: str | None = None, **match) -> None:
        super().__init__(**match)
        if not isinstance(status, int) or not 200 <= status <= 599:
            raise ValueError(f"respond rule: invalid status={status!r}: use a final status from 200 to 599")
        self.status = status
        self.body = body.encode() if isinstance(body, str) else bytes(body)
        self.headers = dict(headers or {})
        self.reason = reason or REASONS.get(status, "Status")
        for key, value in self.headers.items():
            if any(c in f"{key}{value}" for c in "\r\n") or ":" in key:
                raise ValueError(f"respond rule: invalid header {key!r}: names and values may not contain CR, LF, "
                                 "and names no ':'")

    def _parameters(self) -> dict:
        return {"status": self.status, "headers": self.headers or None}


class Bandwidth(Rule):
    """Cap the body bytes per second in one direction, summed over all matching requests.

    The cap applies to body bytes only, counted when the proxy forwards them.
    Bursts are at most BANDWIDTH_BURST_SECONDS of traffic. `times` is not used.
    """

    kind = "bandwidth"

    def __init__(self, *, bytes_per_second: int, direction: str = "down", **match) -> None:
        if match.get("times") is not None:
            raise ValueError("bandwidth rule: times is not supported: the cap applies to every matching request")
        super().__init__(**match)
        if not isinstance(bytes_per_second, int) or bytes_per_second < 1:
            raise ValueError(f"bandwidth rule: invalid bytes_per_second={bytes_per_second!r}: use a positive integer")
        self.bytes_per_second = bytes_per_second
        self.direction = _check_direction(self.kind, direction)
        self._bucket = _TokenBucket(bytes_per_second)

    def _parameters(self) -> dict:
        return {"bytes_per_second": self.bytes_per_second, "direction": self.direction}


class _TokenBucket:
    """Token bucket whose takers may go into debt and then wait until the refill covers it."""

    def __init__(self, rate: int) -> None:
        self.rate = rate
        self.capacity = max(1.0, rate * BANDWIDTH_BURST_SECONDS)
        self.tokens = self.capacity
        self.updated = time.monotonic()
        self.lock = threading.Lock()

    def take(self, count: int) -> float:
        """Take count tokens and return the seconds to wait before using them."""
        with self.lock:
            now = time.monotonic()
            self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
            self.updated = now
            self.tokens -= count
            return max(0.0, -self.tokens / self.rate)


RULE_TYPES = {cls.kind: cls for cls in (Reset, Stall, Respond, Bandwidth)}


def rules_from_json(items: Sequence[Mapping]) -> list[Rule]:
    """Build rules from JSON objects such as {"type": "reset", "after_bytes": 1000, "direction": "up"}."""
    if not isinstance(items, list):
        raise ValueError("rules: expected a JSON array of rule objects")
    rules = []
    for index, item in enumerate(items):
        arguments = dict(item)
        kind = arguments.pop("type", None)
        if kind not in RULE_TYPES:
            raise ValueError(f"rule {index}: invalid type {kind!r}: use one of {', '.join(RULE_TYPES)}")
        try:
            rules.append(RULE_TYPES[kind](**arguments))
        except TypeError as error:
            raise ValueError(f"rule {index} ({kind}): {error}") from None
    return rules


def _check_rules(rules: Iterable[Rule]) -> list[Rule]:
    rules = list(rules)
    for rule in rules:
        if not isinstance(rule, Rule):
            raise TypeError(f"invalid rule {rule!r}: use Reset, Stall, Respond or Bandwidth")
    return rules


# --- Records ------------------------------------------------------------------


@dataclass(frozen=True)
class RequestRecord:
    """One request as the proxy handled it.

    status is None when no response reached the client. outcome is
    "forwarded", "responded" (by a Respond rule), "reset" (by a Reset rule) or
    "failed" (a peer closed or timed out, or the upstream was unreachable).
    bytes_up and bytes_down count the request's bytes on the client side,
    head and framing included. faults lists the names of the rules that fired.
    seconds runs from the complete request head to the end of the handling.
    """

    method: str
    path: str
    status: int | None
    bytes_up: int
    bytes_down: int
    outcome: str
    faults: tuple[str, ...]
    seconds: float


# --- HTTP framing ---------------------------------------------------------------


class _BadMessage(Exception):
    """A peer sent something that is not HTTP/1.1 this proxy can frame."""

    def __init__(self, side: str, detail: str) -> None:
        super().__init__(f"{side} sent {detail}")
        self.side = side


class _PeerError(Exception):
    """A peer closed the connection, reset it or timed out."""

    def __init__(self, side: str, detail: str) -> None:
        super().__init__(f"{side}: {detail}")
        self.side = side


class _AbortClient(Exception):
    """The upstream failed mid-exchange: reset the client connection, as a broken link would."""


class _ResetConnection(Exception):
    def __init__(self, rule: Reset) -> None:
        super().__init__(rule.name)
        self.rule = rule


class _Stopped(Exception):
    """The proxy is stopping."""


class _Stream:
    """A socket with a read buffer. `consumed` and `sent` count bytes taken from the buffer and sent."""

    def __init__(self, sock: socket.socket, side: str, counters: "_Counters | None" = None) -> None:
        self.sock = sock
        self.side = side
        self.counters = counters
        self.buffer = bytearray()
        self.consumed = 0
        self.sent = 0

    def _fill(self, size: int) -> bool:
        try:
            data = self.sock.recv(size)
        except OSError as error:
            raise _PeerError(self.side, f"receive failed: {error}") from None
        self.buffer += data
        return bool(data)

    def _take(self, size: int) -> bytes:
        data = bytes(self.buffer[:size])
        del self.buffer[:size]
        self.consumed += len(data)
        if self.counters:
            self.counters.add(up=len(data))
        return data

    def read_until(self, delimiter: bytes, limit: int) -> bytes | None:
        """Return bytes up to and including delimiter, or None on a clean close before any byte."""
        while True:
            end = self.buffer.find(delimiter)
            if end >= 0:
                return self._take(end + len(delimiter))
            if len(self.buffer) > limit:
                raise _BadMessage(self.side, f"more than {limit} bytes without {delimiter!r}")
            if not self._fill(CHUNK_SIZE):
                if self.buffer:
                    raise _PeerError(self.side, "closed the connection inside a message head")
                return None

    def read_line(self) -> bytes:
        line = self.read_until(b"\r\n", MAX_LINE_BYTES)
        if line is None:
            raise _PeerError(self.side, "closed the connection inside a chunked body")
        return line

    def read_some(self, size: int) -> bytes:
        """Return up to size bytes, from the buffer first. Returns b"" when the peer closed."""
        if not self.buffer:
            self._fill(size)
        return self._take(min(size, len(self.buffer)))

    def send(self, data: bytes) -> None:
        try:
            self.sock.sendall(data)
        except OSError as error:
            raise _PeerError(self.side, f"send failed: {error}") from None
        self.sent += len(data)
        if self.counters:
            self.counters.add(down=len(data))


@dataclass
class _Head:
    """A parsed request or response head. raw is the head as received, final CRLF included."""

    raw: bytes
    start: list[str]
    headers: list[tuple[str, str]]

    @classmethod
    def parse(cls, raw: bytes, side: str) -> "_Head":
        lines = raw[:-4].decode("latin-1").split("\r\n")
        start = lines[0].split(" ", 2)
        if len(start) < 2:
            raise _BadMessage(side, f"an invalid start line {lines[0]!r}")
        headers = []
        for line in lines[1:]:
            name, colon, value = line.partition(":")
            if not colon or not name or name != name.strip():
                raise _BadMessage(side, f"an invalid header line {line!r}")
            headers.append((name, value.strip()))
        return cls(raw, start, headers)

    def get(self, name: str) -> str | None:
        values = [value for key, value in self.headers if key.lower() == name]
        return values[-1] if values else None

    def tokens(self, name: str) -> list[str]:
        """Return the comma-separated tokens of all headers called name, lower-cased."""
        found = []
        for key, value in self.headers:
            if key.lower() == name:
                found += [token.strip().lower() for token in value.split(",") if token.strip()]
        return found

    def keeps_alive(self, version: str) -> bool:
        connection = self.tokens("connection")
        if version == "HTTP/1.0":
            return "keep-alive" in connection
        return "close" not in connection

    def framing(self, side: str) -> tuple[str, int | None]:
        """Return ("chunked", None), ("length", N) or ("close", None) from the message's headers."""
        encodings = self.tokens("transfer-encoding")
        if encodings:
            return ("chunked", None) if encodings[-1] == "chunked" else ("close", None)
        length = self.get("content-length")
        if length is None:
            return ("close", None)
        if not length.isdigit():
            raise _BadMessage(side, f"an invalid Content-Length {length!r}")
        return ("length", int(length))


@dataclass
class _Request:
    head: _Head
    method: str
    target: str
    version: str

    @classmethod
    def parse(cls, raw: bytes) -> "_Request":
        head = _Head.parse(raw, "client")
        if len(head.start) != 3 or not head.start[2].startswith("HTTP/1."):
            raise _BadMessage("client", f"an invalid request line {' '.join(head.start)!r}")
        return cls(head, head.start[0], head.start[1], head.start[2])

    def framing(self) -> tuple[str, int | None]:
        kind, length = self.head.framing("client")
        if kind == "close":
            if self.head.tokens("transfer-encoding"):
                raise _BadMessage("client", "a Transfer-Encoding that does not end in chunked")
            return ("length", 0)  # A request without Content-Length has no body.
        return kind, length

    @property
    def has_body(self) -> bool:
        kind, length = self.framing()
        return kind == "chunked" or bool(length)

    @property
    def expects_continue(self) -> bool:
        return "100-continue" in self.head.tokens("expect")


@dataclass
class _Response:
    head: _Head
    version: str
    status: int

    @classmethod
    def parse(cls, raw: bytes) -> "_Response":
        head = _Head.parse(raw, "upstream")
        if not head.start[0].startswith("HTTP/1.") or not head.start[1].isdigit():
            raise _BadMessage("upstream", f"an invalid status line {' '.join(head.start)!r}")
        return cls(head, head.start[0], int(head.start[1]))

    def framing(self, request_method: str) -> tuple[str, int | None]:
        if request_method == "HEAD" or self.status < 200 or self.status in (204, 304):
            return ("length", 0)
        return self.head.framing("upstream")


# --- Per-connection state ---------------------------------------------------------


class _Counters:
    """Totals of the proxy, shared by all connection threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.bytes_up = 0
        self.bytes_down = 0
        self.connections = 0

    def add(self, up: int = 0, down: int = 0, connections: int = 0) -> None:
        with self.lock:
            self.bytes_up += up
            self.bytes_down += down
            self.connections += connections

    def reset(self) -> None:
        with self.lock:
            self.bytes_up = self.bytes_down = self.connections = 0


@dataclass
class _Exchange:
    """State of one request while the proxy handles it."""

    request: _Request
    rules: list[Rule]
    started: float
    consumed_before: int
    sent_before: int
    status: int | None = None
    outcome: str = "failed"

    def __post_init__(self) -> None:
        self.faults: list[str] = []


class _Flow:
    """The body of one request in one direction, the faults due at byte offsets in it, and its bandwidth caps."""

    def __init__(self, proxy: "FaultProxy", connection: "_Connection", exchange: _Exchange, direction: str) -> None:
        self.proxy = proxy
        self.connection = connection
        self.exchange = exchange
        self.direction = direction
        self.position = 0
        self.every_rules = []
        self.triggers: list[tuple[int, Rule]] = []
        self.buckets = []
        for rule in exchange.rules:
            if getattr(rule, "direction", None) != direction:
                continue
            if isinstance(rule, Bandwidth):
                self.buckets.append(rule._bucket)
            elif isinstance(rule, Reset) and rule.every_bytes is not None:
                offset = rule.every_bytes - connection.every_counts.get((id(rule), direction), 0)
                self.triggers.append((offset, rule))
                self.every_rules.append(rule)
            elif isinstance(rule, (Reset, Stall)):
                self.triggers.append((rule.after_bytes, rule))
        self.triggers.sort(key=lambda trigger: trigger[0])

    def fire_due(self) -> None:
        """Inject the faults whose offset the body has reached. A reset raises _ResetConnection."""
        while self.triggers and self.triggers[0][0] <= self.position:
            _, rule = self.triggers.pop(0)
            if not rule.try_fire():
                continue
            self.exchange.faults.append(rule.name)
            log.info("%s %s %s: %s after %d %s bytes", self.exchange.request.method, self.exchange.request.target,
                     rule.name, rule.kind, self.position, self.direction)
            if isinstance(rule, Reset):
                raise _ResetConnection(rule)
            self.proxy._wait(rule.seconds)

    def read_size(self, size: int) -> int:
        """Cut size so that the read ends at the next fault offset and stays within a bandwidth burst."""
        if self.triggers:
            size = min(size, self.triggers[0][0] - self.position)
        for bucket in self.buckets:
            size = min(size, max(1024, int(bucket.capacity)))
        return max(1, size)

    def advance(self, count: int) -> None:
        self.position += count
        for rule in self.every_rules:
            key = (id(rule), self.direction)
            self.connection.every_counts[key] = self.connection.every_counts.get(key, 0) + count
        for bucket in self.buckets:
            self.proxy._wait(bucket.take(count))


@dataclass
class _Connection:
    client: _Stream
    every_counts: dict


# --- The proxy --------------------------------------------------------------------


def _parse_loopback_origin(url: str, role: str) -> tuple[str, int]:
    """Return (host, port) of an http://127.0.0.1:PORT URL, or raise ValueError naming the URL's role."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    if parts.scheme != "http" or parts.hostname != LOOPBACK_HOST or port is None:
        raise ValueError(f"invalid {role} {url!r}: use http://{LOOPBACK_HOST}:PORT, because the proxy speaks plain "
                         f"HTTP and reaches only loopback servers")
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        raise ValueError(f"invalid {role} {url!r}: use an origin without path, query or user")
    return LOOPBACK_HOST, port


def _abort(sock: socket.socket | None) -> None:
    """Close sock with SO_LINGER 0, so the kernel sends RST and the peer gets ECONNRESET."""
    if sock is None:
        return
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    sock.close()


def _unsent_bytes(sock: socket.socket) -> int:
    """Return the bytes in sock's send queue that the peer has not acknowledged yet (Linux SIOCOUTQ)."""
    try:
        value = fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, b"\0\0\0\0")
    except OSError:
        return 0
    return struct.unpack("i", value)[0]


class FaultProxy:
    """HTTP/1.1 reverse proxy on 127.0.0.1 that injects the faults of its rules.

    Thread-safe: set_rules, the counters and requests may be used while
    connections are served, each on its own thread. stop() closes the listener
    and every open connection, and ends stalls and bandwidth waits at once.

    rewrite_origins maps further loopback origins (for example a token
    server's) to the origins clients should use instead. Absolute URLs at
    the upstream itself always become URLs at the proxy.
    """

    def __init__(self, upstream_url: str, rules: Iterable[Rule] = (), *, port: int = 0,
                 rewrite_origins: Mapping[str, str] | None = None, io_timeout: float = IO_TIMEOUT_SECONDS) -> None:
        self.upstream = _parse_loopback_origin(upstream_url, "upstream")
        self.upstream_url = f"http://{self.upstream[0]}:{self.upstream[1]}"
        self.requested_port = port
        self.io_timeout = io_timeout
        self.extra_origins = {}
        for source, target in (rewrite_origins or {}).items():
            source_host, source_port = _parse_loopback_origin(source, "rewrite_origins key")
            target_host, target_port = _parse_loopback_origin(target, "rewrite_origins value")
            self.extra_origins[f"http://{source_host}:{source_port}"] = f"http://{target_host}:{target_port}"

        self._rules = _check_rules(rules)
        self._rules_lock = threading.Lock()
        self._counters = _Counters()
        self._records: list[RequestRecord] = []
        self._records_lock = threading.Lock()
        self._stopping = threading.Event()
        self._sockets: set[socket.socket] = set()
        self._threads: set[threading.Thread] = set()
        self._sockets_lock = threading.Lock()
        self._listener: socket.socket | None = None
        self._accept_thread: threading.Thread | None = None
        self.port: int | None = None

    # --- Public API ----------------------------------------------------------------

    @property
    def host(self) -> str:
        return f"{LOOPBACK_HOST}:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.host}"

    @property
    def rules(self) -> list[Rule]:
        with self._rules_lock:
            return list(self._rules)

    def set_rules(self, rules: Iterable[Rule]) -> None:
        """Replace the rules. Requests that already started keep the rules they started with."""
        checked = _check_rules(rules)
        with self._rules_lock:
            self._rules = checked

    @property
    def bytes_up(self) -> int:
        """Bytes received from clients (heads and bodies) since start or reset_counters()."""
        with self._counters.lock:
            return self._counters.bytes_up

    @property
    def bytes_down(self) -> int:
        """Bytes sent to clients (heads and bodies) since start or reset_counters()."""
        with self._counters.lock:
            return self._counters.bytes_down

    @property
    def connections(self) -> int:
        """Client connections accepted since start or reset_counters()."""
        with self._counters.lock:
            return self._counters.connections

    @property
    def requests(self) -> list[RequestRecord]:
        """A copy of the request log, in the order the requests ended."""
        with self._records_lock:
            return list(self._records)

    def reset_counters(self) -> None:
        """Zero the totals, clear the request log and zero each rule's matched and byte counters.

        A rule's `fired` count stays, so rules with `times` stay used up. Set
        new rule objects to start over.
        """
        self._counters.reset()
        with self._records_lock:
            self._records.clear()
        for rule in self.rules:
            rule._reset_counters()

    def wait_for_requests(self, count: int, timeout: float = 5.0) -> list[RequestRecord]:
        """Poll until the log contains at least count requests or timeout seconds pass, then return the log.

        A client may see the end of a response before the proxy logs it, so tests
        poll here instead of reading `requests` at once.
        """
        deadline = time.monotonic() + timeout
        while len(records := self.requests) < count and time.monotonic() < deadline:
            time.sleep(0.01)  # polling interval, bounded by the deadline
        return records

    def __enter__(self) -> "FaultProxy":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def start(self) -> "FaultProxy":
        """Listen on 127.0.0.1 (port 0 picks a free port) and serve connections on background threads."""
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((LOOPBACK_HOST, self.requested_port))
        listener.listen(128)
        self._listener = listener
        self.port = listener.getsockname()[1]
        self._origins = {self.upstream_url: self.url, f"http://localhost:{self.upstream[1]}": self.url}
        self._origins |= self.extra_origins
        self._accept_thread = threading.Thread(target=self._accept_loop, name=f"fault-proxy-{self.port}", daemon=True)
        self._accept_thread.start()
        log.info("proxy %s forwards to %s", self.url, self.upstream_url)
        return self

    def stop(self) -> None:
        """Close the listener and every connection, then join the threads. Safe to call twice."""
        if self._stopping.is_set():
            return
        self._stopping.set()
        if self._listener is not None:
            try:
                self._listener.shutdown(socket.SHUT_RDWR)  # wakes accept() on Linux
            except OSError:
                pass
            self._listener.close()
        with self._sockets_lock:
            open_sockets = list(self._sockets)
            threads = list(self._threads)
        for sock in open_sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

        deadline = time.monotonic() + STOP_JOIN_SECONDS
        for thread in [self._accept_thread, *threads]:
            if thread is not None:
                thread.join(max(0.0, deadline - time.monotonic()))
        log.info("proxy %s stopped", self.url)

    # --- Connections -----------------------------------------------------------------

    def _wait(self, seconds: float) -> None:
        if seconds > 0 and self._stopping.wait(seconds):
            raise _Stopped()

    def _track(self, sock: socket.socket, add: bool) -> None:
        with self._sockets_lock:
            if add:
                self._sockets.add(sock)
            else:
                self._sockets.discard(sock)

    def _accept_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            self._counters.add(connections=1)
            thread = threading.Thread(target=self._serve_connection, args=(client,), daemon=True)
            with self._sockets_lock:
                if self._stopping.is_set():
                    client.close()
                    return
                self._sockets.add(client)
                self._threads.add(thread)
            thread.start()

    def _serve_connection(self, client_sock: socket.socket) -> None:
        client_sock.settimeout(self.io_timeout)
        client_sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        connection = _Connection(_Stream(client_sock, "client", self._counters), {})
        graceful = True
        try:
            if self._starts_with_tls_handshake(client_sock):
                # Reply with a 400 as Go's HTTP server does, so an HTTPS probe fails at once
                # instead of waiting for a handshake that never comes.
                log.debug("TLS ClientHello from client; answering 400 and closing")
                self._send_quietly(connection.client, 400, "the proxy speaks plain HTTP, not TLS")
                return
            while not self._stopping.is_set():
                raw = connection.client.read_until(b"\r\n\r\n", MAX_HEAD_BYTES)
                if raw is None:
                    break
                keep_alive, graceful = self._handle_request(connection, raw)
                if not keep_alive:
                    break
        except _BadMessage as error:
            log.warning("bad request from client: %s", error)
            self._send_quietly(connection.client, 400, str(error))
        except (_PeerError, _Stopped) as error:
            log.debug("connection ended: %s", error)
        finally:
            if graceful:
                self._close_gracefully(client_sock)
            else:
                _abort(client_sock)
            self._track(client_sock, add=False)
            with self._sockets_lock:
                self._threads.discard(threading.current_thread())

    @staticmethod
    def _starts_with_tls_handshake(sock: socket.socket) -> bool:
        """Peek at the first byte: 0x16 is the record type of a TLS handshake (a ClientHello)."""
        try:
            first = sock.recv(1, socket.MSG_PEEK)
        except OSError:
            return False
        return first == b"\x16"

    def _close_gracefully(self, sock: socket.socket) -> None:
        """Half-close, discard what the client still sends for up to LINGER_SECONDS, then close."""
        try:
            sock.shutdown(socket.SHUT_WR)
            sock.settimeout(LINGER_SECONDS)
            deadline = time.monotonic() + LINGER_SECONDS
            while time.monotonic() < deadline and sock.recv(CHUNK_SIZE):
                pass
        except OSError:
            pass
        sock.close()

    def _send_quietly(self, stream: _Stream, status: int, message: str) -> None:
        body = (message + "\n").encode()
        head = (f"HTTP/1.1 {status} {REASONS.get(status, 'Error')}\r\nContent-Type: text/plain\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
        try:
            stream.send(head + body)
        except _PeerError as error:
            log.debug("%d response not delivered: %s", status, error)

    # --- Requests ----------------------------------------------------------------------

    def _handle_request(self, connection: _Connection, raw: bytes) -> tuple[bool, bool]:
        """Handle one request. Return (keep the connection, close it gracefully rather than reset it)."""
        request = _Request.parse(raw)
        client = connection.client
        with self._rules_lock:
            rules = [rule for rule in self._rules if rule.matches(request.method, request.target)]
        for rule in rules:
            rule._count_match()
        exchange = _Exchange(request, rules, time.monotonic(), client.consumed - len(raw), client.sent)

        try:
            responder = next((rule for rule in rules if isinstance(rule, Respond) and rule.try_fire()), None)
            if responder is not None:
                exchange.faults.append(responder.name)
                return self._respond_locally(connection, exchange, responder), True
            return self._forward(connection, exchange), True
        except _ResetConnection:
            exchange.outcome = "reset"
            return False, False
        except _AbortClient:
            return False, False
        finally:
            self._record(connection, exchange)

    def _record(self, connection: _Connection, exchange: _Exchange) -> None:
        bytes_up = connection.client.consumed - exchange.consumed_before
        bytes_down = connection.client.sent - exchange.sent_before
        for rule in exchange.rules:
            rule._count_request(bytes_up, bytes_down)
        record = RequestRecord(
            exchange.request.method, exchange.request.target, exchange.status, bytes_up, bytes_down,
            exchange.outcome, tuple(exchange.faults), time.monotonic() - exchange.started,
        )
        with self._records_lock:
            self._records.append(record)

    def _respond_locally(self, connection: _Connection, exchange: _Exchange, rule: Respond) -> bool:
        """Send rule's response. Return whether the connection stays usable."""
        request = exchange.request
        kind, length = request.framing()
        keep_alive = request.head.keeps_alive(request.version)
        if request.has_body:
            if request.expects_continue or kind == "chunked" or length > RESPOND_DRAIN_LIMIT:
                keep_alive = False  # The body stays unread, so the start of the next request is unknown.
            else:
                self._discard(connection.client, length)

        lines = [f"HTTP/1.1 {rule.status} {rule.reason}"]
        lines += [f"{name}: {value}" for name, value in rule.headers.items()]
        if not any(name.lower() == "content-length" for name in rule.headers):
            lines.append(f"Content-Length: {len(rule.body)}")
        if not keep_alive:
            lines.append("Connection: close")
        body = b"" if request.method == "HEAD" else rule.body
        connection.client.send(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)

        exchange.status = rule.status
        exchange.outcome = "responded"
        log.info("%s %s %s: responded %d", request.method, request.target, rule.name, rule.status)
        return keep_alive

    def _discard(self, stream: _Stream, length: int) -> None:
        while length > 0:
            data = stream.read_some(min(CHUNK_SIZE, length))
            if not data:
                raise _PeerError(stream.side, "closed the connection inside a request body")
            length -= len(data)

    def _connect_upstream(self) -> _Stream:
        sock = socket.create_connection(self.upstream, timeout=self.io_timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._track(sock, add=True)
        if self._stopping.is_set():
            sock.close()
            raise _Stopped()
        return _Stream(sock, "upstream")

    def _forward(self, connection: _Connection, exchange: _Exchange) -> bool:
        """Forward one request and its response. Return whether the client connection stays usable.

        Each request gets its own upstream connection, so a stale keep-alive
        connection to the upstream never turns into a spurious failure.
        """
        request = exchange.request
        client = connection.client
        up = _Flow(self, connection, exchange, "up")
        up.fire_due()

        try:
            upstream = self._connect_upstream()
        except OSError as error:
            log.warning("%s %s: upstream %s unreachable: %s", request.method, request.target, self.upstream_url, error)
            exchange.status = 502
            self._send_quietly(client, 502, f"fault proxy: upstream {self.upstream_url} unreachable: {error}")
            return False

        try:
            return self._exchange(connection, exchange, upstream, up)
        except _ResetConnection as reset:
            self._reset_both(client.sock, upstream.sock, reset.rule.direction)
            raise
        except (_PeerError, _BadMessage) as error:
            log.info("%s %s: %s", request.method, request.target, error)
            _abort(upstream.sock)
            if error.side == "upstream":
                raise _AbortClient() from None
            if isinstance(error, _BadMessage):
                raise
            return False
        finally:
            upstream.sock.close()
            self._track(upstream.sock, add=False)

    def _exchange(self, connection: _Connection, exchange: _Exchange, upstream: _Stream, up: _Flow) -> bool:
        request = exchange.request
        client = connection.client
        upstream.send(request.head.raw)

        response = None
        if request.has_body:
            if request.expects_continue and not client.buffer:
                response = self._await_continue(client, upstream)
                if response is not None and response.status >= 200:
                    # The upstream responded before the body, which stays unread in the client socket.
                    self._relay_response(connection, exchange, upstream, response)
                    return False
            try:
                self._relay_body(client, upstream, request.framing(), up)
            except _PeerError as error:
                if error.side != "upstream":
                    raise
                # The upstream may have responded early and closed. Pass its response on if there is one.
                log.info("%s %s: upstream stopped reading the body: %s", request.method, request.target, error)
                response = self._read_response(upstream)
                self._relay_response(connection, exchange, upstream, response)
                return False

        response = self._read_response(upstream)
        return self._relay_response(connection, exchange, upstream, response)

    def _await_continue(self, client: _Stream, upstream: _Stream) -> _Response | None:
        """Wait for the upstream's first response or the client's body, whichever comes first.

        Forwards an interim response (100 Continue) to the client. Returns the
        upstream response if one arrived first, else None.
        """
        readable, _, _ = select.select([client.sock, upstream.sock], [], [], self.io_timeout)
        if upstream.sock not in readable:
            return None
        response = self._read_response(upstream)
        if response.status < 200:
            client.send(response.head.raw)
        return response

    def _read_response(self, upstream: _Stream) -> _Response:
        raw = upstream.read_until(b"\r\n\r\n", MAX_HEAD_BYTES)
        if raw is None:
            raise _PeerError("upstream", "closed the connection before sending a response")
        return _Response.parse(raw)

    def _relay_response(self, connection: _Connection, exchange: _Exchange, upstream: _Stream,
                        response: _Response) -> bool:
        """Forward interim responses, then the final one with its body. Return whether both sides keep alive."""
        client = connection.client
        while response.status < 200:
            client.send(response.head.raw)
            response = self._read_response(upstream)

        client.send(self._rewrite_head(response.head))
        exchange.status = response.status
        down = _Flow(self, connection, exchange, "down")
        down.fire_due()
        framing = response.framing(exchange.request.method)
        self._relay_body(upstream, client, framing, down)
        exchange.outcome = "forwarded"

        request = exchange.request
        return (framing[0] != "close" and request.head.keeps_alive(request.version)
                and response.head.keeps_alive(response.version))

    def _relay_body(self, source: _Stream, target: _Stream, framing: tuple[str, int | None], flow: _Flow) -> None:
        kind, length = framing
        if kind != "chunked":
            self._relay_payload(source, target, length, flow)
            return

        while True:
            size_line = source.read_line()
            target.send(size_line)
            try:
                size = int(size_line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise _BadMessage(source.side, f"an invalid chunk size line {size_line!r}") from None
            if size == 0:
                break
            self._relay_payload(source, target, size, flow)
            chunk_end = source.read_line()
            if chunk_end != b"\r\n":
                raise _BadMessage(source.side, f"{chunk_end!r} instead of CRLF after a chunk")
            target.send(chunk_end)

        while (trailer := source.read_line()) != b"\r\n":
            target.send(trailer)
        target.send(trailer)

    def _relay_payload(self, source: _Stream, target: _Stream, length: int | None, flow: _Flow) -> None:
        """Forward length payload bytes, or everything until source closes when length is None."""
        remaining = length
        while remaining is None or remaining > 0:
            flow.fire_due()
            size = CHUNK_SIZE if remaining is None else min(CHUNK_SIZE, remaining)
            data = source.read_some(flow.read_size(size))
            if not data:
                if remaining is None:
                    break
                raise _PeerError(source.side, f"closed the connection with {remaining} body bytes missing")
            target.send(data)
            flow.advance(len(data))
            if remaining is not None:
                remaining -= len(data)
        flow.fire_due()

    def _reset_both(self, client_sock: socket.socket, upstream_sock: socket.socket, direction: str) -> None:
        """Reset both connections once the receiver has acknowledged every forwarded byte."""
        receiver = client_sock if direction == "down" else upstream_sock
        deadline = time.monotonic() + SEND_QUEUE_DRAIN_SECONDS
        while _unsent_bytes(receiver) > 0 and time.monotonic() < deadline:
            self._wait(SEND_QUEUE_POLL_SECONDS)
        if _unsent_bytes(receiver) > 0:
            log.warning("resetting with %d bytes not yet acknowledged by the %s", _unsent_bytes(receiver),
                        "client" if direction == "down" else "upstream")
        _abort(upstream_sock)
        _abort(client_sock)

    def _rewrite_head(self, head: _Head) -> bytes:
        """Return the response head with upstream URLs in Location and WWW-Authenticate pointed at the proxy."""
        lines = [" ".join(head.start)]
        changed = False
        for name, value in head.headers:
            lower = name.lower()
            new_value = value
            if lower in ("location", "content-location"):
                new_value = self._rewrite_url(value)
            elif lower == "www-authenticate":
                new_value = _REALM.sub(lambda m: m[1] + self._rewrite_url(m[2]) + m[3], value)
            changed |= new_value != value
            lines.append(f"{name}: {new_value}")
        if not changed:
            return head.raw
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def _rewrite_url(self, url: str) -> str:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}".lower()
        if parts.scheme and origin in self._origins:
            return self._origins[origin] + url[len(origin):]
        return url


# --- CLI -----------------------------------------------------------------------------

STATE_INTERVAL_SECONDS = 0.5
WATCHDOG_INTERVAL_SECONDS = 0.5


def _process_start_time(pid: int) -> str | None:
    """Return the start time field of /proc/PID/stat, or None if pid is gone or a zombie."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return None if fields[0] == "Z" else fields[19]


def _watch_parent(pid: int, shutdown: threading.Event) -> None:
    """Set shutdown once pid exits. The start time guards against a reused pid."""
    start_time = _process_start_time(pid)
    while not shutdown.wait(WATCHDOG_INTERVAL_SECONDS):
        if start_time is None or _process_start_time(pid) != start_time:
            log.warning("parent process %d exited: stopping", pid)
            shutdown.set()


def _state(proxy: FaultProxy, running: bool) -> dict:
    return {
        "pid": os.getpid(), "running": running, "port": proxy.port, "host": proxy.host, "url": proxy.url,
        "upstream": proxy.upstream_url, "bytes_up": proxy.bytes_up, "bytes_down": proxy.bytes_down,
        "connections": proxy.connections, "requests": len(proxy.requests),
        "rules": [rule.counters() for rule in proxy.rules],
    }


def _write_state(path: Path, state: dict) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(state, indent=2) + "\n")
    temporary.rename(path)


def _append_request_log(path: Path, records: list[RequestRecord], start: int) -> int:
    """Append records[start:] to path as JSON lines and return the new start."""
    if len(records) > start:
        with open(path, "a", encoding="utf-8") as stream:
            for record in records[start:]:
                stream.write(json.dumps(asdict(record)) + "\n")
    return len(records)


def _load_rules(path: str | None) -> list[Rule]:
    if not path:
        return []
    return rules_from_json(json.loads(Path(path).read_text()))


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Fault-injection HTTP/1.1 reverse proxy for ferry's tests. "
                                     "SIGHUP reloads the rules file. SIGTERM and SIGINT stop the proxy.")
    parser.add_argument("--upstream", required=True, metavar="URL", help="registry to forward to, http://127.0.0.1:PORT")
    parser.add_argument("--rules", metavar="FILE", help="JSON array of rules, for example "
                        '[{"type": "reset", "after_bytes": 1048576, "direction": "down", "times": 1}]')
    parser.add_argument("--state", metavar="FILE", required=True,
                        help=f"JSON file for pid, port, url and counters, rewritten every {STATE_INTERVAL_SECONDS} s")
    parser.add_argument("--request-log", metavar="FILE", help="append one JSON line per finished request to FILE")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1. Default: a free port")
    parser.add_argument("--parent-pid", type=int, default=os.getppid(),
                        help="stop when this process exits. Default: the parent process. "
                        "0 turns this off, for ctest fixtures that stop the proxy with SIGTERM")
    parser.add_argument("--verbose", action="store_true", help="log every fault and connection error to stderr")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="fault_proxy: %(levelname)s: %(message)s")
    try:
        proxy = FaultProxy(args.upstream, _load_rules(args.rules), port=args.port)
    except (OSError, ValueError) as error:
        print(f"fault_proxy.py: error: {error}", file=sys.stderr)
        return 2

    shutdown = threading.Event()
    reload = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: shutdown.set())
    signal.signal(signal.SIGINT, lambda *_: shutdown.set())
    signal.signal(signal.SIGHUP, lambda *_: reload.set())
    if args.parent_pid:
        threading.Thread(target=_watch_parent, args=(args.parent_pid, shutdown), daemon=True).start()

    state_file = Path(args.state)
    logged = 0
    with proxy:
        _write_state(state_file, _state(proxy, running=True))
        while not shutdown.wait(STATE_INTERVAL_SECONDS):
            if reload.is_set():
                reload.clear()
                try:
                    proxy.set_rules(_load_rules(args.rules))
                except (OSError, ValueError) as error:
                    log.error("rules file %s not reloaded, the old rules stay: %s", args.rules, error)
            _write_state(state_file, _state(proxy, running=True))
            if args.request_log:
                logged = _append_request_log(Path(args.request_log), proxy.requests, logged)

    _write_state(state_file, _state(proxy, running=False))
    if args.request_log:
        _append_request_log(Path(args.request_log), proxy.requests, logged)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
