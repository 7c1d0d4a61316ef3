"""Runs one scenario against a real Prefect server and against slotd, and
compares what they answered.

A scenario is a function of an Exchange: it sends requests through it and may
use earlier answers (an id, a lease id) to build later requests. It runs once
per server, so it must be deterministic apart from what the servers answer;
names and client-made ids come from the Exchange and are the same in both runs.

Every answer is normalised before the comparison:
- ids the servers made become <id:1>, <id:2>, ... in order of first
  appearance, so "the same id twice" still compares; ids the scenario made
  (Exchange.uuid) stay as they are;
- timestamps (ISO 8601, UTC, "Z") become <ts>;
- Retry-After is compared exactly, or, for a jittered draw, checked to be a
  decimal number and within the jitter's range of the other server's draw;
- numbers under a key the scenario names in `approx` compare within a
  tolerance (time-dependent values such as an occupancy average).
Bodies are compared as JSON with the key order kept (FastAPI's order is part
of the answer); non-JSON bodies as text. The headers compared are
Content-Type, Allow, Location (with the server's own origin, which differs
by port, as <origin>) and whether Retry-After is there.
"""

from __future__ import annotations

import itertools
import json
import random
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import httpx

UUID_RE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
TIMESTAMP_RE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z")
# str() of a Python float: what Prefect writes in Retry-After.
PY_FLOAT_RE = re.compile(r"^\d+\.\d+(e[+-]\d+)?$|^\d+e[+-]\d+$")
# Two draws of the jitter (each in [mean * 0.752, mean * 1.3]) differ by at
# most this factor.
JITTER_RATIO = 1.3 / 0.752

UNSET: Any = object()


@dataclass
class Reply:
    status: int
    headers: httpx.Headers
    text: str
    jitter: bool = False  # Retry-After is a random draw
    approx: dict[str, float] = field(default_factory=dict)
    location: str | None = None  # the Location header, the server's origin as <origin>

    def json(self) -> Any:
        return json.loads(self.text)


@dataclass
class Server:
    kind: str  # "prefect" or "slotd"
    base_url: str  # ending in /api
    client: httpx.Client
    log: Path | None = None  # slotd's access log (one line a request)

    @property
    def origin(self) -> str:
        """scheme://host:port of base_url."""
        return self.base_url.removesuffix("/api")

    def clear(self) -> None:
        """Deletes every limit (for scenarios that need an empty table)."""
        while True:
            page = self.client.post(f"{self.base_url}/v2/concurrency_limits/filter", json={})
            limits = page.json()
            if not limits:
                return
            for limit in limits:
                self.client.delete(f"{self.base_url}/v2/concurrency_limits/{limit['id']}")


class Exchange:
    """One run of a scenario against one server."""

    def __init__(self, server: Server, scenario: str):
        self.server = server
        self.kind = server.kind
        self.scenario = scenario
        self.replies: list[tuple[str, Reply]] = []
        self.known_ids: set[str] = set()
        self._random = random.Random(scenario)

    def name(self, suffix: str = "") -> str:
        """A limit name (or tag) of this scenario's own."""
        return f"{self.scenario}{suffix}"

    def uuid(self) -> str:
        """A client-made id: the same in both runs, kept literal in the comparison."""
        value = str(uuid.UUID(int=self._random.getrandbits(128), version=4))
        self.known_ids.add(value)
        return value

    def call(
        self,
        method: str,
        path: str,
        json_body: Any = UNSET,
        *,
        content: Any = None,
        headers: dict[str, str] | None = None,
        compare: bool = True,
        jitter: bool = False,
        approx: dict[str, float] | None = None,
    ) -> Reply:
        """Sends one request. `path` is relative to /api. `json_body` is sent
        as JSON with Content-Type application/json; `content` is sent raw,
        with only the headers given (an iterator of bytes is sent chunked). Answers with compare=False are set-up."""
        send_headers = dict(headers or {})
        if json_body is not UNSET:
            content = json.dumps(json_body)
            send_headers.setdefault("content-type", "application/json")
        response = self.server.client.request(
            method, self.server.base_url + path, content=content, headers=send_headers
        )
        location = response.headers.get("location")
        if location is not None:
            location = location.replace(self.server.origin, "<origin>")
        reply = Reply(response.status_code, response.headers, response.text, jitter, approx or {},
                      location)
        if compare:
            self.replies.append((f"{method} {path}", reply))
        return reply


class Normaliser:
    def __init__(self, known_ids: set[str]):
        self.known = {value.lower() for value in known_ids}
        self.ids: dict[str, str] = {}

    def _id(self, match: re.Match[str]) -> str:
        value = match.group(0).lower()
        if value in self.known:
            return value
        return self.ids.setdefault(value, f"<id:{len(self.ids) + 1}>")

    def text(self, value: str) -> str:
        value = UUID_RE.sub(self._id, value)
        return TIMESTAMP_RE.sub("<ts>", value)

    def value(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.value(item) for item in value]
        if isinstance(value, tuple):  # an object: a tuple of (key, value) pairs
            return tuple((key, self.value(item)) for key, item in value)
        return value


def _ordered(text: str) -> Any:
    """JSON with objects as tuples of pairs, so key order is compared."""
    return json.loads(text, object_pairs_hook=tuple)


def _round_approx(value: Any, approx: dict[str, float]) -> Any:
    """Numbers under an `approx` key, rounded to their tolerance's grid."""
    if isinstance(value, list):
        return [_round_approx(item, approx) for item in value]
    if isinstance(value, tuple):
        out = []
        for key, item in value:
            if key in approx and isinstance(item, (int, float)) and not isinstance(item, bool):
                item = ("≈", round(item / approx[key]))
            out.append((key, _round_approx(item, approx)))
        return tuple(out)
    return value


def normalised(reply: Reply, normaliser: Normaliser) -> dict[str, Any]:
    try:
        body: Any = _ordered(reply.text) if reply.text else ""
        body = normaliser.value(body)
    except json.JSONDecodeError:
        body = ("text", normaliser.text(reply.text))
    if reply.approx:
        body = _round_approx(body, reply.approx)
    retry_after = reply.headers.get("retry-after")
    out: dict[str, Any] = {
        "status": reply.status,
        "content-type": reply.headers.get("content-type"),
        "allow": reply.headers.get("allow"),
        "location": None if reply.location is None else normaliser.text(reply.location),
        "retry-after": retry_after if not reply.jitter or retry_after is None else "<draw>",
        "body": body,
    }
    return out


def check_jitter(prefect: Reply, slotd: Reply, where: str) -> None:
    a, b = prefect.headers.get("retry-after"), slotd.headers.get("retry-after")
    if a is None or b is None:
        return
    assert PY_FLOAT_RE.match(a), f"{where}: Prefect's Retry-After {a!r}"
    assert PY_FLOAT_RE.match(b), f"{where}: slotd's Retry-After {b!r} is not a Python float"
    ratio = float(b) / float(a)
    assert 1 / JITTER_RATIO <= ratio <= JITTER_RATIO, (
        f"{where}: Retry-After {b} (slotd) and {a} (Prefect) are not draws around one mean"
    )


Scenario = Callable[[Exchange], None]


def run_both(prefect: Server, slotd: Server, scenario_id: str, scenario: Scenario):
    """Runs the scenario on both servers; returns the two Exchanges."""
    runs = []
    for server in (prefect, slotd):
        exchange = Exchange(server, scenario_id)
        scenario(exchange)
        runs.append(exchange)
    return runs


def compare(prefect: Server, slotd: Server, scenario_id: str, scenario: Scenario) -> None:
    """Asserts that slotd answered every request of the scenario as Prefect did."""
    on_prefect, on_slotd = run_both(prefect, slotd, scenario_id, scenario)
    known = on_prefect.known_ids | on_slotd.known_ids
    expected = normalised_run(on_prefect, Normaliser(known))
    actual = normalised_run(on_slotd, Normaliser(known))
    for (where, p), (_, s) in zip(on_prefect.replies, on_slotd.replies):
        if p.jitter:
            check_jitter(p, s, where)
    differences = [
        f"{want[0] if want else got[0]}\n  Prefect: {want and want[1]}\n  slotd:   {got and got[1]}"
        for want, got in itertools.zip_longest(expected, actual)
        if want != got
    ]
    assert not differences, "slotd answered otherwise:\n" + "\n".join(differences)


def normalised_run(run: Exchange, normaliser: Normaliser) -> list[tuple[str, dict[str, Any]]]:
    """Each request (its path's ids normalised too) with its normalised answer."""
    return [(normaliser.text(where), normalised(reply, normaliser)) for where, reply in run.replies]


class Table:
    """A table of scenarios of one route family. Scenario ids (and so the
    names their limits get) are the table's prefix and the function's name."""

    def __init__(self, prefix: str):
        self.prefix = prefix
        self.scenarios: dict[str, Scenario] = {}
        # id -> (the API.md Deviation it shows, a check of both servers' replies)
        self.deviations: dict[str, tuple[str, Callable[[list[Reply], list[Reply]], None]]] = {}
        # id -> why slotd still answers otherwise (expected to fail, strictly)
        self.open_differences: dict[str, str] = {}

    def scenario(self, fn: Scenario) -> Scenario:
        self.scenarios[f"{self.prefix}-{fn.__name__}"] = fn
        return fn

    def add(self, name: str, fn: Scenario) -> None:
        self.scenarios[f"{self.prefix}-{name}"] = fn

    def deviation(self, name: str, deviation: str,
                  check: Callable[[list[Reply], list[Reply]], None]) -> None:
        """Scenario `name` shows a Deviation of API.md: instead of equal
        answers, `check(prefect_replies, slotd_replies)` asserts each server's
        documented behaviour."""
        self.deviations[f"{self.prefix}-{name}"] = (deviation, check)

    def open_difference(self, name: str, why: str) -> None:
        self.open_differences[f"{self.prefix}-{name}"] = why

    def params(self) -> list[Any]:
        import pytest

        out = []
        for scenario_id in self.scenarios:
            marks = []
            if scenario_id in self.open_differences:
                marks.append(pytest.mark.xfail(strict=True, reason=self.open_differences[scenario_id]))
            out.append(pytest.param(scenario_id, marks=marks, id=scenario_id))
        return out

    def run(self, prefect: Server, slotd: Server, scenario_id: str) -> None:
        scenario = self.scenarios[scenario_id]
        if scenario_id not in self.deviations:
            return compare(prefect, slotd, scenario_id, scenario)
        _, check = self.deviations[scenario_id]
        on_prefect, on_slotd = run_both(prefect, slotd, scenario_id, scenario)
        check([r for _, r in on_prefect.replies], [r for _, r in on_slotd.replies])
