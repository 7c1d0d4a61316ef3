"""The real Prefect client (the pinned `prefect` package, in this process)
against slotd, and the same tests against the real Prefect server, which
shows that each test is valid: what passes on Prefect must pass on slotd.

Every test points the client at one server (PREFECT_API_URL, also as the
process-global settings, so the client's own threads see it), gives its
limits names of its own (both servers live for the whole session), and ends
by draining the client's background workers (events, logs) and asserting
that the client logged no warning or error: no log record at WARNING or
above on any logger, no Python warning, no such line on stderr, and (on
slotd, from its access log) no request of the client's answered as a route
slotd does not serve. A test that causes a message on purpose (a strict
block cancelled, an acquisition refused) names it, and fails if it does not
come. A failure says how many of its messages are the events socket's
(/api/events/in), the one route that, unserved, made most of these fail.

Lease renewal: the client renews a lease at once when a block starts, then
every `lease_duration * 0.75` s (prefect.concurrency._leases._RENEWAL_FRACTION);
both servers refuse a lease shorter than 60 s, so the renewal tests shorten
that fraction (and the retry back-off of a failed renewal), the client's own
code otherwise unchanged, and count the renewals in slotd's access log.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import inspect
import logging
import re
import threading
import time
import uuid
import warnings
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

import prefect.concurrency._leases as leases
import prefect.context
from prefect import task
from prefect._internal.concurrency.cancellation import CancelledError
from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate, GlobalConcurrencyLimitUpdate
from prefect.client.schemas.objects import ConcurrencyLeaseHolder
from prefect.concurrency.asyncio import concurrency as aconcurrency
from prefect.concurrency.asyncio import rate_limit as arate_limit
from prefect.concurrency.sync import concurrency, rate_limit
from prefect.concurrency.v1.asyncio import concurrency as v1_aconcurrency
from prefect.concurrency.v1.sync import concurrency as v1_concurrency
from prefect.events.worker import EventsWorker
from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound
from prefect.logging.handlers import APILogWorker
from prefect.settings import (
    PREFECT_API_URL,
    PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW,
    temporary_settings,
)
from prefect.concurrency._asyncio import ConcurrencySlotAcquisitionError
from prefect.concurrency.v1._asyncio import ConcurrencySlotAcquisitionError as V1AcquisitionError

from harness import Server

# What the client logs when /api/events/in cannot be opened (the events
# socket): named in a failure so it can be told from anything else.
EVENTS_SOCKET = re.compile(r"Unable to connect to 'ws://.*/api/events/in'|Service 'EventsWorker' failed"
                           r"|GET /api/events/in 404")
# A request of the client's that slotd answered as a route it does not serve
# (the concurrency routes' own 404s, such as an unknown limit, are answers).
UNSERVED = re.compile(r"^(\S+ /api/(?!(v2/)?concurrency_limits\b)\S*) (404|405) ", re.MULTILINE)
STDERR_ALARM = re.compile(r"\b(WARNING|ERROR|CRITICAL)\b|Traceback|Warning:")
DRAIN_SECONDS = 20


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@dataclass
class Api:
    """The client pointed at one server, for one test."""

    server: Server
    test: str
    expected: list[re.Pattern[str]] = field(default_factory=list)

    @property
    def kind(self) -> str:
        return self.server.kind

    def name(self, suffix: str = "") -> str:
        """A limit name (or tag) of this test's own on this server."""
        return f"client-{self.test}{suffix}-{uuid.uuid4().hex[:8]}"

    def expect(self, pattern: str) -> None:
        """A warning or error the test causes on purpose: it must come."""
        self.expected.append(re.compile(pattern))

    def expect_refusal(self, service: str, exception: str) -> None:
        """An acquisition refused on purpose: the client logs it as an error
        of its acquisition service, on any server."""
        self.expect(rf"ERROR prefect\._internal\.concurrency: Service '{service}' failed to process item "
                    rf".*raised {exception}>")

    def sync(self):
        return get_client(sync_client=True)

    def v2(self, name: str) -> dict[str, Any]:
        response = self.server.client.get(f"{self.server.base_url}/v2/concurrency_limits/{name}")
        assert response.status_code == 200, response.text
        return response.json()

    def v1_holders(self, tag: str) -> list[str]:
        response = self.server.client.get(f"{self.server.base_url}/concurrency_limits/tag/{tag}")
        assert response.status_code == 200, response.text
        return response.json()["active_slots"]

    def create(self, name: str, limit: int, **fields: Any) -> None:
        with self.sync() as client:
            client.create_global_concurrency_limit(
                GlobalConcurrencyLimitCreate(name=name, limit=limit, **fields))

    def log_mark(self) -> int:
        return self.server.log.stat().st_size if self.server.log else 0

    def access_log_since(self, mark: int) -> str:
        if self.server.log is None:
            return ""
        with open(self.server.log, "rb") as log:
            log.seek(mark)
            return log.read().decode()

    def renewals_since(self, mark: int) -> dict[str, int]:
        """Lease id -> renewals answered 204, from slotd's access log."""
        text = self.access_log_since(mark)
        counts: dict[str, int] = {}
        for lease in re.findall(r"POST /api/v2/concurrency_limits/leases/([0-9a-f-]{36})/renew 204", text):
            counts[lease] = counts.get(lease, 0) + 1
        return counts


@contextlib.contextmanager
def _client_settings(updates: dict[Any, Any]):
    """Client settings for this thread and, as the process-global settings,
    for the client's own threads (and a thread pool's) too."""
    with temporary_settings(updates=updates), \
            prefect.context._temporary_global_settings_context(prefect.context.get_settings_context()):
        yield


# A task outside a flow run warns that its logs cannot go to the API (the
# client's rule, whatever the server: seen on Prefect too); this setting of
# the client's says it should not.
STANDALONE_TASKS = {PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW: "ignore"}


def _drain_client_workers() -> None:
    """Lets the client's workers send what they hold, then stops them. (A
    worker stopped with items still queued warns "Still processing items",
    on any server, so each is first given the time to empty its queue; one
    that failed has stopped and is not waited for.)"""
    deadline = time.monotonic() + DRAIN_SECONDS
    for worker in (APILogWorker, EventsWorker):
        for instance in tuple(worker._instances.values()):
            while (instance._queue.unfinished_tasks and not instance._stopped
                   and time.monotonic() < deadline):
                time.sleep(0.01)
        result = worker.drain_all(timeout=DRAIN_SECONDS)
        assert not inspect.isawaitable(result)


@pytest.fixture(params=["slotd", "prefect"])
def api(request, capfd):
    server: Server = request.getfixturevalue(f"{request.param}_server")
    test = re.sub(r"\W+", "-", request.node.originalname).strip("-")
    handler = _Records()
    loggers = [logging.getLogger(), *(logging.getLogger(name) for name in list(logging.root.manager.loggerDict)
                                     if name.startswith("prefect") and not logging.getLogger(name).propagate)]
    for logger in loggers:
        logger.addHandler(handler)
    api = Api(server, test)
    mark = api.log_mark()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with _client_settings({PREFECT_API_URL: server.base_url}):
                yield api
                _drain_client_workers()
    finally:
        for logger in loggers:
            logger.removeHandler(handler)
    _, err = capfd.readouterr()
    unserved = [f"{m.group(1)} {m.group(3)}" for m in UNSERVED.finditer(api.access_log_since(mark))]
    _check_quiet(api, handler.records, caught, err, unserved)


def _check_quiet(api: Api, records: list[logging.LogRecord], caught: list[warnings.WarningMessage],
                 err: str, unserved: list[str]) -> None:
    messages = [f"{r.levelname} {r.name}: {r.getMessage()}" for r in records]
    messages += [f"slotd does not serve the client's {request}" for request in unserved]
    messages += [f"python warning {w.category.__name__}: {w.message}" for w in caught]
    messages += [f"stderr: {line}" for line in err.splitlines() if STDERR_ALARM.search(line)]
    unexpected = [m for m in messages if not any(p.search(m) for p in api.expected)]
    missing = [p.pattern for p in api.expected if not any(p.search(m) for m in messages)]
    events = [m for m in unexpected if EVENTS_SOCKET.search(m)]
    assert not unexpected and not missing, (
        f"on {api.kind}: the client logged {len(unexpected)} unexpected warnings or errors "
        f"({len(events)} of them the events socket's)"
        + "".join(f"\n  {m}" for m in unexpected)
        + "".join(f"\n  expected, never logged: {p}" for p in missing)
    )


@contextlib.contextmanager
def _fast_renewal(monkeypatch, fraction: float = 0.01):
    """Renew every lease_duration * fraction s (0.6 s for a 60 s lease), and
    retry a failed renewal after 0.05 s instead of about 1 s; the client's
    own values again after the block."""
    with monkeypatch.context() as patch:
        patch.setattr(leases, "_RENEWAL_FRACTION", fraction)
        patch.setattr(leases, "_RENEWAL_RETRY_BASE_DELAY", 0.05)
        patch.setattr(leases, "_RENEWAL_RETRY_MAX_DELAY", 0.1)
        yield


def _holder() -> ConcurrencyLeaseHolder:
    return ConcurrencyLeaseHolder(type="task_run", id=uuid.uuid4())


# --- prefect.concurrency: concurrency() --------------------------------------------


def test_sync_concurrency_strict_with_a_holder_takes_and_gives_back_the_slots(api):
    tag = api.name()
    api.create(f"tag:{tag}", 3)
    holder = _holder()
    with concurrency(f"tag:{tag}", occupy=2, strict=True, holder=holder):
        assert api.v2(f"tag:{tag}")["active_slots"] == 2
        assert api.v1_holders(tag) == [str(holder.id)]
    assert api.v2(f"tag:{tag}")["active_slots"] == 0
    assert api.v1_holders(tag) == []


def test_async_concurrency_strict_with_a_holder_takes_and_gives_back_the_slots(api):
    tag = api.name()
    api.create(f"tag:{tag}", 3)
    holder = _holder()

    async def main():
        async with aconcurrency(f"tag:{tag}", occupy=2, strict=True, holder=holder):
            assert api.v2(f"tag:{tag}")["active_slots"] == 2
            assert api.v1_holders(tag) == [str(holder.id)]

    asyncio.run(main())
    assert api.v2(f"tag:{tag}")["active_slots"] == 0
    assert api.v1_holders(tag) == []


def test_concurrency_on_several_limits_takes_one_slot_on_each(api):
    a, b = api.name("-a"), api.name("-b")
    api.create(a, 1)
    api.create(b, 2)
    with concurrency([a, b], strict=True):
        assert (api.v2(a)["active_slots"], api.v2(b)["active_slots"]) == (1, 1)
    assert (api.v2(a)["active_slots"], api.v2(b)["active_slots"]) == (0, 0)


def test_strict_concurrency_on_a_missing_limit_is_refused_sync_and_async(api):
    name = api.name()
    with pytest.raises(ConcurrencySlotAcquisitionError, match="must be created before acquiring slots"):
        with concurrency(name, strict=True):
            pytest.fail("entered a block on a missing limit")

    async def main():
        with pytest.raises(ConcurrencySlotAcquisitionError, match="must be created before acquiring slots"):
            async with aconcurrency(name, strict=True):
                pytest.fail("entered a block on a missing limit")

    asyncio.run(main())


def test_a_full_limit_times_out_then_admits_when_released(api):
    name = api.name()
    api.create(name, 1)
    api.expect_refusal("ConcurrencySlotAcquisitionWithLeaseService", "TimeoutError")
    with concurrency(name, strict=True):
        with pytest.raises(TimeoutError):
            with concurrency(name, strict=True, timeout_seconds=0.5):
                pytest.fail("entered a block on a full limit")
        assert api.v2(name)["active_slots"] == 1
    with concurrency(name, strict=True, timeout_seconds=30):
        assert api.v2(name)["active_slots"] == 1
    assert api.v2(name)["active_slots"] == 0


def test_an_inactive_limit_lets_a_block_run_and_takes_nothing(api):
    name = api.name()
    api.create(name, 1, active=False)
    with concurrency(name, strict=True):
        with concurrency(name, strict=True, timeout_seconds=5):
            assert api.v2(name)["active_slots"] == 0
    assert api.v2(name)["active_slots"] == 0


@pytest.mark.parametrize("flavour", ["sync", "async"])
def test_the_lease_is_renewed_while_a_block_runs(api, monkeypatch, flavour):
    name = api.name()
    api.create(name, 1)
    mark = api.log_mark()
    with _fast_renewal(monkeypatch):
        if flavour == "sync":
            with concurrency(name, strict=True, lease_duration=60):
                time.sleep(2.5)
                assert api.v2(name)["active_slots"] == 1
        else:
            async def main():
                async with aconcurrency(name, strict=True, lease_duration=60):
                    await asyncio.sleep(2.5)
                    assert api.v2(name)["active_slots"] == 1

            asyncio.run(main())
    assert api.v2(name)["active_slots"] == 0
    if api.kind == "slotd":  # Prefect's access log is not kept: the count is slotd's
        renewals = api.renewals_since(mark)
        assert len(renewals) == 1 and list(renewals.values())[0] >= 3, renewals


# --- rate_limit() ------------------------------------------------------------------


def test_rate_limit_sync_and_async_take_slots_that_decay(api):
    name = api.name()
    api.create(name, 10, slot_decay_per_second=0.01)
    rate_limit(name, occupy=2, strict=True)
    assert api.v2(name)["active_slots"] == 2
    asyncio.run(arate_limit(name, occupy=3, strict=True))
    assert api.v2(name)["active_slots"] == 5


def test_rate_limit_waits_out_the_decay_it_is_told(api):
    name = api.name()
    api.create(name, 1, slot_decay_per_second=4.0)  # a slot every 0.25 s
    started = time.monotonic()
    for _ in range(4):
        rate_limit(name, strict=True, timeout_seconds=20)
    # Three waits of about 0.25 s each (Retry-After = 1 / decay, jittered).
    assert 0.5 < time.monotonic() - started < 10


def test_rate_limit_on_a_limit_without_decay_is_refused(api):
    name = api.name()
    api.create(name, 10)
    api.expect_refusal("ConcurrencySlotAcquisitionService", "PrefectHTTPStatusError")
    with pytest.raises(ConcurrencySlotAcquisitionError,
                       match="Only concurrency limits with slot decay can be used for rate limiting"):
        rate_limit(name, strict=True)
    with pytest.raises(ConcurrencySlotAcquisitionError, match="must be created before acquiring slots"):
        asyncio.run(arate_limit(api.name("-missing"), strict=True))
    assert api.v2(name)["active_slots"] == 0


# --- prefect.concurrency.v1 -------------------------------------------------------


def test_v1_sync_concurrency_holds_the_tag_for_the_task_run(api):
    tag = api.name()
    with api.sync() as client:
        client.create_concurrency_limit(tag, 1)
    run, other = uuid.uuid4(), uuid.uuid4()
    api.expect_refusal("ConcurrencySlotAcquisitionService", "TimeoutError")
    with v1_concurrency(tag, run):
        assert api.v1_holders(tag) == [str(run)]
        with pytest.raises(TimeoutError):
            with v1_concurrency(tag, other, timeout_seconds=0.5):
                pytest.fail("a second task run entered a tag limit of 1")
    assert api.v1_holders(tag) == []


def test_v1_async_concurrency_holds_the_tag_for_the_task_run(api):
    tag = api.name()
    with api.sync() as client:
        client.create_concurrency_limit(tag, 2)
    run = uuid.uuid4()

    async def main():
        async with v1_aconcurrency([tag], run):
            assert api.v1_holders(tag) == [str(run)]

    asyncio.run(main())
    assert api.v1_holders(tag) == []


# --- a standalone @task(tags=[...]) -------------------------------------------------


def test_tagged_tasks_from_several_threads_never_exceed_the_tag_limit(api):
    tag = api.name()
    limit, runs = 2, 6
    with api.sync() as client:
        client.create_concurrency_limit(tag, limit)
    lock = threading.Lock()
    running: set[str] = set()
    most = 0
    seen_holders: list[list[str]] = []

    @task(tags=[tag])
    def work() -> str:
        nonlocal most
        me = str(prefect.context.TaskRunContext.get().task_run.id)
        with lock:
            running.add(me)
            most = max(most, len(running))
        holders = api.v1_holders(tag)
        seen_holders.append(holders)
        assert me in holders
        time.sleep(0.4)
        with lock:
            running.discard(me)
        return me

    with _client_settings(STANDALONE_TASKS):
        with concurrent.futures.ThreadPoolExecutor(runs) as pool:
            done = list(pool.map(lambda _: work(), range(runs)))
    assert len(set(done)) == runs
    assert most == limit, f"at most {most} tasks ran at once under a limit of {limit}"
    assert all(len(holders) <= limit for holders in seen_holders), seen_holders
    assert api.v1_holders(tag) == []


def test_a_tagged_task_whose_tag_has_no_limit_runs(api):
    @task(tags=[api.name()])
    def work() -> int:
        return 7

    with _client_settings(STANDALONE_TASKS):
        assert work() == 7


# --- every concurrency method of get_client() --------------------------------------


async def _value(result):
    return await result if inspect.isawaitable(result) else result


async def _every_client_method(api: Api, client) -> None:
    """Each concurrency method of the client (sync or async; the same
    names), in the order ConcurrencyLimitClient defines them."""
    tag, other = api.name("-v1"), api.name("-v2")

    # v1 tag limits
    limit_id = await _value(client.create_concurrency_limit(tag, 2))
    assert isinstance(limit_id, uuid.UUID)
    assert await _value(client.create_concurrency_limit(tag, 3)) == limit_id  # an upsert
    read = await _value(client.read_concurrency_limit_by_tag(tag))
    assert (read.id, read.tag, read.concurrency_limit, read.active_slots) == (limit_id, tag, 3, [])
    with pytest.raises(ObjectNotFound):
        await _value(client.read_concurrency_limit_by_tag(tag + "-missing"))
    listed, offset = [], 0
    while page := await _value(client.read_concurrency_limits(limit=50, offset=offset)):
        assert len(page) <= 50
        listed += page
        offset += 50
    assert [limit.tag for limit in listed].count(tag) == 1
    run_a, run_b = uuid.uuid4(), uuid.uuid4()
    taken = await _value(client.increment_v1_concurrency_slots([tag], run_a))
    assert [item["name"] for item in taken.json()] == [tag]
    await _value(client.increment_v1_concurrency_slots([tag], run_b))
    assert (await _value(client.read_concurrency_limit_by_tag(tag))).active_slots == [run_a, run_b]
    released = await _value(client.decrement_v1_concurrency_slots([tag], run_a, 1.5))
    assert [item["name"] for item in released.json()] == [f"tag:{tag}"]
    assert (await _value(client.read_concurrency_limit_by_tag(tag))).active_slots == [run_b]
    override = uuid.uuid4()
    await _value(client.reset_concurrency_limit_by_tag(tag, slot_override=[override]))
    assert (await _value(client.read_concurrency_limit_by_tag(tag))).active_slots == [override]
    await _value(client.reset_concurrency_limit_by_tag(tag))
    assert (await _value(client.read_concurrency_limit_by_tag(tag))).active_slots == []
    with pytest.raises(ObjectNotFound):
        await _value(client.reset_concurrency_limit_by_tag(tag + "-missing"))
    await _value(client.delete_concurrency_limit_by_tag(tag))
    with pytest.raises(ObjectNotFound):
        await _value(client.delete_concurrency_limit_by_tag(tag))

    # v2 global limits
    new_id = await _value(client.create_global_concurrency_limit(
        GlobalConcurrencyLimitCreate(name=other, limit=2)))
    with pytest.raises(ObjectAlreadyExists):
        await _value(client.create_global_concurrency_limit(
            GlobalConcurrencyLimitCreate(name=other, limit=2)))
    gcl = await _value(client.read_global_concurrency_limit_by_name(other))
    assert (gcl.id, gcl.name, gcl.limit, gcl.active, gcl.active_slots) == (new_id, other, 2, True, 0)
    updated = await _value(client.update_global_concurrency_limit(
        other, GlobalConcurrencyLimitUpdate(limit=4, slot_decay_per_second=0.001)))
    assert updated.status_code == 204
    with pytest.raises(ObjectNotFound):
        await _value(client.update_global_concurrency_limit(
            other + "-missing", GlobalConcurrencyLimitUpdate(limit=1)))
    await _value(client.upsert_global_concurrency_limit_by_name(other, 5))  # updates
    await _value(client.upsert_global_concurrency_limit_by_name(other + "-up", 1, 0.5))  # creates
    assert (await _value(client.read_global_concurrency_limit_by_name(other))).limit == 5
    made = await _value(client.read_global_concurrency_limit_by_name(other + "-up"))
    assert (made.limit, made.slot_decay_per_second) == (1, 0.5)
    names, offset = [], 0
    while page := await _value(client.read_global_concurrency_limits(limit=50, offset=offset)):
        names += [limit.name for limit in page]
        offset += 50
    assert {other, other + "-up"} <= set(names)
    assert names == sorted(names)

    response = await _value(client.increment_concurrency_slots([other], 2, "concurrency"))
    assert [item["name"] for item in response.json()] == [other]
    response = await _value(client.increment_concurrency_slots([other], 1, "rate_limit"))
    assert (await _value(client.read_global_concurrency_limit_by_name(other))).active_slots == 3
    await _value(client.release_concurrency_slots([other], 3, 2.0))
    assert (await _value(client.read_global_concurrency_limit_by_name(other))).active_slots == 0

    holder = _holder()
    response = await _value(client.increment_concurrency_slots_with_lease(
        [other], 2, "concurrency", 120, holder=holder))
    lease = uuid.UUID(response.json()["lease_id"])
    assert [item["name"] for item in response.json()["limits"]] == [other]
    assert (await _value(client.read_global_concurrency_limit_by_name(other))).active_slots == 2
    renewed = await _value(client.renew_concurrency_lease(lease, 300))
    assert renewed.status_code == 204
    released = await _value(client.release_concurrency_slots_with_lease(lease))
    assert released.status_code == 204
    assert (await _value(client.read_global_concurrency_limit_by_name(other))).active_slots == 0
    with pytest.raises(httpx.HTTPStatusError) as gone:
        await _value(client.renew_concurrency_lease(lease, 300))
    assert gone.value.response.status_code == 410
    response = await _value(client.increment_concurrency_slots_with_lease(
        [other], 5, "concurrency", 60))
    assert response.status_code == 200
    with pytest.raises(httpx.HTTPStatusError) as locked:
        await _value(client.increment_concurrency_slots([other], 1, "concurrency"))
    assert locked.value.response.status_code == 423
    assert float(locked.value.response.headers["Retry-After"]) > 0
    await _value(client.release_concurrency_slots_with_lease(uuid.UUID(response.json()["lease_id"])))

    for name in (other, other + "-up"):
        deleted = await _value(client.delete_global_concurrency_limit_by_name(name))
        assert deleted.status_code == 204
    with pytest.raises(ObjectNotFound):
        await _value(client.read_global_concurrency_limit_by_name(other))
    with pytest.raises(ObjectNotFound):
        await _value(client.delete_global_concurrency_limit_by_name(other))


def test_every_concurrency_method_of_the_sync_client(api):
    async def main():
        with get_client(sync_client=True) as client:
            await _every_client_method(api, client)

    asyncio.run(main())


def test_every_concurrency_method_of_the_async_client(api):
    async def main():
        async with get_client() as client:
            await _every_client_method(api, client)

    asyncio.run(main())


# --- a v1 delete during a strict block ---------------------------------------------


CANCELLED = r"Concurrency lease renewal failed - slots are no longer reserved\. Terminating execution"


@pytest.mark.parametrize("flavour", ["sync", "async"])
def test_a_v1_delete_during_a_strict_block_cancels_it(api, monkeypatch, flavour):
    tag = api.name()
    with api.sync() as client:
        client.create_concurrency_limit(tag, 1)
    # The renewal that meets the revoked lease (410) is retried, then the
    # block is cancelled: all of it logged by the client, as it should be.
    api.expect(r"WARNING prefect\.concurrency: Attempt [12] of function 'concurrency lease renewal' failed "
               r"with \w*HTTPStatusError: Client error '410 Gone'")
    api.expect(r"ERROR prefect\.concurrency: Function 'concurrency lease renewal' failed after 3 attempts")
    api.expect(rf"ERROR prefect\.concurrency: {CANCELLED}")
    reached_the_end = False

    def delete():
        with get_client(sync_client=True) as client:
            client.delete_concurrency_limit_by_tag(tag)

    mark, started = api.log_mark(), time.monotonic()
    with _fast_renewal(monkeypatch):
        if flavour == "sync":
            with pytest.raises(BaseException) as stopped:
                with concurrency(f"tag:{tag}", strict=True, lease_duration=60):
                    delete()
                    deadline = time.monotonic() + 15
                    while time.monotonic() < deadline:
                        time.sleep(0.01)
                    reached_the_end = True
        else:
            async def main():
                nonlocal reached_the_end
                async with aconcurrency(f"tag:{tag}", strict=True, lease_duration=60):
                    delete()
                    await asyncio.sleep(15)
                    reached_the_end = True

            with pytest.raises(BaseException) as stopped:
                asyncio.run(main())
    assert not reached_the_end
    assert type(stopped.value) is CancelledError, repr(stopped.value)
    assert time.monotonic() - started < 10
    if api.kind == "slotd":
        assert re.search(r"/leases/[0-9a-f-]{36}/renew 410", api.access_log_since(mark))
    with api.sync() as client, pytest.raises(ObjectNotFound):
        client.read_concurrency_limit_by_tag(tag)


# --- a limit of 0 -----------------------------------------------------------------


def test_a_v2_limit_of_0_refuses_a_block(api):
    name = api.name()
    api.create(name, 0)
    api.expect_refusal("ConcurrencySlotAcquisitionWithLeaseService", "PrefectHTTPStatusError")
    for strict in (False, True):
        with pytest.raises(ConcurrencySlotAcquisitionError, match="Slots requested is greater than the limit"):
            with concurrency(name, strict=strict):
                pytest.fail("entered a block on a limit of 0")
    assert api.v2(name)["active_slots"] == 0


def test_a_v1_limit_of_0_refuses_a_block_as_a_deadlock(api):
    tag = api.name()
    with api.sync() as client:
        client.create_concurrency_limit(tag, 0)
    api.expect_refusal("ConcurrencySlotAcquisitionService", "ConcurrencySlotAcquisitionServiceError")
    with pytest.raises(V1AcquisitionError) as refused:
        with v1_concurrency(tag, uuid.uuid4(), timeout_seconds=30):
            pytest.fail("entered a block on a tag limit of 0")
    assert str(refused.value.__cause__) == (
        f'The concurrency limit on tag "{tag}" is 0 and will deadlock if the task tries to run again.')
    assert api.v1_holders(tag) == []


def test_a_tagged_task_under_a_tag_limit_of_0_does_not_run(api):
    tag = api.name()
    with api.sync() as client:
        client.create_concurrency_limit(tag, 0)
    ran = False

    @task(tags=[tag])
    def work():
        nonlocal ran
        ran = True

    api.expect_refusal("ConcurrencySlotAcquisitionWithLeaseService", "PrefectHTTPStatusError")
    api.expect(r"ERROR prefect\.task_runs: Finished in state Pending\(\)")  # the engine's word for it
    with _client_settings(STANDALONE_TASKS):
        with pytest.raises(ConcurrencySlotAcquisitionError, match="Slots requested is greater than the limit"):
            work()
    assert not ran


# --- what is not served -----------------------------------------------------------


@pytest.mark.parametrize("api", ["slotd"], indirect=True)
def test_a_flow_cannot_run_against_slotd_alone(api):
    """Flows, flow runs and deployments are not served (API.md): a @flow
    registers itself first (POST /api/flows/) and fails on the 404."""
    from prefect import flow
    from prefect.exceptions import PrefectHTTPStatusError

    @flow
    def pipeline():
        return 1

    api.expect(r"slotd does not serve the client's POST /api/flows/ 404")
    with pytest.raises(PrefectHTTPStatusError, match=r"404 Not Found.*/api/flows/"):
        pipeline()
