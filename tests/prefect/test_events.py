"""Events: the websocket /api/events/in, POST /api/events/filter and its
next pages. The real Prefect client streams its events into slotd and they
are read back; the filter's answers are compared with the real Prefect
server's (which takes its events here through POST /api/events as an
ephemeral server, since this one runs no event persister service)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import uuid

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from harness import Table

table = Table("events")
FILTER = "/events/filter"


def event(name, resource="prefect.resource.x", occurred="2026-12-01T10:00:00Z", id=None,
          **extra):
    return {"occurred": occurred, "event": name, "resource": {"prefect.resource.id": resource},
            "id": id or str(uuid.uuid4())} | extra


def ws_url(server) -> str:
    return server.base_url.replace("http://", "ws://") + "/events/in"


def send_events(server, events) -> None:
    """Into slotd through the websocket, as the client sends them; into
    Prefect through POST /api/events on its ephemeral path (written at once)."""
    if server.kind == "prefect":
        response = server.client.post(f"{server.base_url}/events", json=events,
                                      headers={"host": "ephemeral-prefect"})
        assert response.status_code == 204, response.text
        return
    with connect(ws_url(server), subprotocols=["prefect"]) as ws:
        ws.send(json.dumps({"type": "auth", "token": None}))
        assert json.loads(ws.recv()) == {"type": "auth_success"}
        for item in events:
            ws.send(json.dumps(item))
        ws.ping().wait(5)  # every event sent before it has been read


def of(x, **criteria):
    """A filter on this scenario's own resource id."""
    return {"resource": {"id": [f"prefect.resource.{x.scenario}"]}} | criteria


def post_events(x, *names_and_times):
    events = [event(name, f"prefect.resource.{x.scenario}", occurred, x.uuid())
              for name, occurred in names_and_times]
    send_events(x.server, events)


@table.scenario
def events_are_read_back_newest_first_by_default(x):
    post_events(x, ("a.one", "2026-12-01T10:00:00Z"), ("a.two", "2026-12-01T10:00:01Z"),
                ("b.three", "2026-12-01T10:00:02.5Z"))
    x.call("POST", FILTER, {"filter": of(x)})
    x.call("POST", FILTER, {"filter": of(x, order="ASC")})


@table.scenario
def names_prefixes_and_exclusions_select_events(x):
    post_events(x, ("a.one", "2026-12-01T10:00:00Z"), ("a.two", "2026-12-01T10:00:01Z"),
                ("b.three", "2026-12-01T10:00:02Z"))
    x.call("POST", FILTER, {"filter": of(x, event={"prefix": ["a."]})})
    x.call("POST", FILTER, {"filter": of(x, event={"name": ["b.three", "a.one"]})})
    x.call("POST", FILTER, {"filter": of(x, event={"exclude_prefix": ["a."]})})
    x.call("POST", FILTER, {"filter": of(x, event={"exclude_name": ["a.two"], "prefix": []})})


@table.scenario
def the_occurred_window_is_inclusive(x):
    post_events(x, ("a.one", "2026-12-01T10:00:00Z"), ("a.two", "2026-12-01T11:00:00Z"),
                ("a.three", "2026-12-01T12:00:00Z"))
    x.call("POST", FILTER, {"filter": of(x, occurred={"since": "2026-12-01T11:00:00Z"})})
    x.call("POST", FILTER, {"filter": of(x, occurred={"since": "2026-12-01T10:00:00Z",
                                                       "until": "2026-12-01T11:00:00Z"})})
    # Before the default window (180 days back): not found unless asked for.
    x.call("POST", FILTER, {"filter": {"resource": {"id_prefix": ["prefect.resource.none"]}}})


def opaque_link(x) -> str | None:
    """The last answer's next_page, which is then compared as <link>: each
    server's token is its own (Prefect's holds its filter's pydantic dump)."""
    where, reply = x.replies[-1]
    body = reply.json()
    link = body["next_page"]
    if link is not None:
        assert link.startswith(x.server.origin + "/api/events/filter/next?page-token="), link
        body["next_page"] = "<link>"
        reply.text = json.dumps(body, separators=(",", ":"))
    x.replies[-1] = (where.split("?")[0], reply)
    return link


@table.scenario
def pages_follow_the_next_page_link(x):
    post_events(x, *[(f"a.{i}", f"2026-12-01T10:00:0{i}Z") for i in range(5)])
    x.call("POST", FILTER, {"filter": of(x, order="ASC"), "limit": 2})
    link = opaque_link(x)
    x.call("GET", link.removeprefix(x.server.base_url))
    link = opaque_link(x)
    x.call("GET", link.removeprefix(x.server.base_url))
    assert opaque_link(x) is None
    x.call("POST", FILTER, {"filter": of(x), "limit": 0})
    opaque_link(x)


@table.scenario
def bad_filters_are_refused_as_prefect_refuses_them(x):
    x.call("POST", FILTER, {"limit": 51})
    x.call("POST", FILTER, {"limit": -1})
    x.call("POST", FILTER, {"limit": "3", "filter": of(x), "extra": 1})
    x.call("POST", FILTER, {"filter": {"order": "SIDEWAYS"}})
    x.call("POST", FILTER, {"filter": {"bogus": 1}})
    x.call("POST", FILTER, {"filter": {"event": {"prefix": "a."}}})
    x.call("POST", FILTER, {"filter": {"occurred": {"since": "yesterday"}}})
    x.call("POST", FILTER, {"filter": {"id": {"id": ["not-a-uuid"]}}})
    x.call("POST", FILTER, {"filter": []})
    x.call("POST", FILTER, content=b"{", headers={"content-type": "application/json"})


@table.scenario
def bad_page_tokens_are_forbidden(x):
    x.call("GET", "/events/filter/next?page-token=bm90IGpzb24=")
    x.call("GET", "/events/filter/next?page-token=")
    x.call("GET", "/events/filter/next")


@pytest.mark.parametrize("scenario_id", table.params())
def test_events(servers, scenario_id):
    table.run(*servers, scenario_id)


def close_code(server, messages, subprotocols=("prefect",)) -> int | None:
    """The code the server closes with after `messages`."""
    with connect(ws_url(server), subprotocols=list(subprotocols) or None) as ws:
        for message in messages:
            ws.send(message)
        try:
            while True:
                ws.recv(timeout=10)
        except ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd else None


AUTH = json.dumps({"type": "auth", "token": None})


def test_a_first_message_that_is_not_auth_closes_1008_as_with_prefect(servers):
    prefect, slotd = servers
    messages = [json.dumps({"type": "hello"})]
    assert close_code(slotd, messages) == close_code(prefect, messages) == 1008


@pytest.mark.parametrize("messages", [
    pytest.param([AUTH, "not json"], id="invalid-json"),
    pytest.param([AUTH, json.dumps({"event": "a.b"})], id="not-an-event"),
    pytest.param([AUTH, json.dumps(event("a.b", resource=""))], id="empty-resource-id"),
])
def test_a_text_that_is_not_an_event_closes_the_socket(servers, messages):
    """Deviation (README): Prefect's handler raises and the connection is
    dropped without a close frame (the client sees 1006); slotd sends 1011,
    RFC 6455's code for it. Either way the client's send fails and it
    reconnects; nothing is stored."""
    prefect, slotd = servers
    assert close_code(prefect, messages) is None
    assert close_code(slotd, messages) == 1011


def test_a_legacy_client_without_the_subprotocol_is_accepted(servers):
    for server in servers:
        with connect(ws_url(server)) as ws:
            assert ws.subprotocol is None
            ws.send(json.dumps(event("legacy.a", "prefect.resource.legacy")))
            ws.ping().wait(5)


CLIENT = textwrap.dedent("""
    import logging, sys
    from prefect.concurrency.sync import concurrency
    with concurrency(sys.argv[1], occupy=1):
        pass
""")


def test_the_real_clients_events_reach_the_ring(slotd_server):
    name = f"events-client-{uuid.uuid4().hex[:8]}"
    created = slotd_server.client.post(f"{slotd_server.base_url}/v2/concurrency_limits/",
                                       json={"name": name, "limit": 1})
    assert created.status_code == 201, created.text
    limit_id = created.json()["id"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT")} | {
        "PREFECT_API_URL": slotd_server.base_url,
        "PREFECT_HOME": os.environ.get("TMPDIR", "/tmp") + f"/slotd-client-{name}",
        "PREFECT_LOGGING_LEVEL": "WARNING",
    }
    run = subprocess.run([sys.executable, "-c", CLIENT, name], env=env, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    # The client logged no warning or error (a refused socket would).
    assert "Unable to connect" not in run.stderr and "ERROR" not in run.stderr, run.stderr
    assert "WARNING" not in run.stderr, run.stderr
    page = slotd_server.client.post(f"{slotd_server.base_url}/events/filter", json={
        "filter": {"event": {"prefix": ["prefect.concurrency-limit."]},
                   "resource": {"id": [f"prefect.concurrency-limit.{limit_id}"]},
                   "order": "ASC"}}).json()
    names = [e["event"] for e in page["events"]]
    assert names == ["prefect.concurrency-limit.acquired", "prefect.concurrency-limit.released"]
    assert page["total"] == 2 and page["next_page"] is None
    assert page["events"][0]["resource"]["prefect.resource.name"] == name
