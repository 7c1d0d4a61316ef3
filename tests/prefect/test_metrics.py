"""GET /metrics read by the Prometheus Python client's own parser
(prometheus_client.parser): the exposition is valid text format 0.0.4, label
values with quotes, backslashes, newlines and non-ASCII text come back
exactly, and the figures agree with what the API reads. slotd only: Prefect's
server has no /metrics."""

from __future__ import annotations

import math
import uuid

import pytest
from prometheus_client.parser import text_string_to_metric_families

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@pytest.fixture
def slotd(slotd_server):
    return slotd_server


def scrape(server):
    res = server.client.get(f"{server.origin}/metrics")
    assert res.status_code == 200
    assert res.headers["content-type"] == CONTENT_TYPE
    return {family.name: family for family in text_string_to_metric_families(res.text)}


def create(server, name, limit, **fields):
    res = server.client.post(f"{server.base_url}/v2/concurrency_limits/",
                             json={"name": name, "limit": limit, **fields})
    assert res.status_code == 201, res.text
    return res.json()


def by_name(family):
    return {sample.labels["name"]: sample for sample in family.samples}


def test_hostile_limit_names_come_back_exactly_as_label_values(slotd):
    # Names sort first ("!"), so the default cap shows them one by one.
    tail = uuid.uuid4().hex[:8]
    names = [f'!metrics q"uote\\back\nline {tail}', f"!metrics ünï ✓ {tail}",
             f"!metrics \\n not a newline {tail}"]
    for name in names:
        create(slotd, name, 4)
    res = slotd.client.post(f"{slotd.base_url}/v2/concurrency_limits/increment",
                            json={"names": names[:1], "slots": 3})
    assert res.status_code == 200, res.text
    families = scrape(slotd)
    limits = by_name(families["slotd_limit_limit"])
    active = by_name(families["slotd_limit_active_slots"])
    for name in names:
        assert limits[name].value == 4
        assert limits[name].labels["tag"] == "false"
    assert active[names[0]].value == 3
    assert active[names[1]].value == 0


def test_every_family_has_its_type_and_the_names_prometheus_expects(slotd):
    families = scrape(slotd)
    expected = {
        "slotd_limit_limit": "gauge",
        "slotd_limit_active_slots": "gauge",
        "slotd_limit_denied_slots": "gauge",
        "slotd_limit_holders": "gauge",
        "slotd_limit_waiters": "gauge",
        "slotd_limit_active": "gauge",
        "slotd_limits_summed": "gauge",
        # The parser names a counter's family without its _total.
        "slotd_acquisitions": "counter",
        "slotd_refusals": "counter",
        "slotd_releases": "counter",
        "slotd_leases_expired": "counter",
        "slotd_leases_revoked": "counter",
        "slotd_validation_errors": "counter",
        "slotd_limits": "gauge",
        "slotd_leases": "gauge",
        "slotd_http_request_duration_seconds": "histogram",
        "slotd_http_connections_open": "gauge",
        "slotd_http_connections_rejecting": "gauge",
        "slotd_http_connections_refused": "counter",
        "process_cpu_seconds": "counter",
        "process_resident_memory_bytes": "gauge",
        "process_virtual_memory_bytes": "gauge",
        "process_threads": "gauge",
        "process_open_fds": "gauge",
        "process_max_fds": "gauge",
        "process_start_time_seconds": "gauge",
    }
    assert {name: families[name].type for name in expected if name in families} == expected
    assert families["slotd_acquisitions"].samples[0].name == "slotd_acquisitions_total"
    assert families["process_resident_memory_bytes"].samples[0].value > 1_000_000
    assert families["process_open_fds"].samples[0].value >= 3


def test_request_histograms_are_cumulative_and_end_at_their_count(slotd):
    slotd.client.get(f"{slotd.base_url}/health")
    slotd.client.get(f"{slotd.base_url}/no/such/route")
    histogram = scrape(slotd)["slotd_http_request_duration_seconds"]
    series = {}
    for sample in histogram.samples:
        key = (sample.labels["route"], sample.labels["status_class"])
        series.setdefault(key, []).append(sample)
    assert ("root", "2xx") in series
    assert ("unmatched", "4xx") in series
    for key, samples in series.items():
        buckets = [(float(s.labels["le"]), s.value) for s in samples
                   if s.name.endswith("_bucket")]
        count = next(s.value for s in samples if s.name.endswith("_count"))
        total = next(s.value for s in samples if s.name.endswith("_sum"))
        bounds = [bound for bound, _ in buckets]
        assert bounds == sorted(bounds) and bounds[-1] == math.inf, key
        values = [value for _, value in buckets]
        assert values == sorted(values), key
        assert values[-1] == count > 0, key
        assert 0 < total < count * 60, key


def test_limit_figures_match_the_api_after_acquisitions_and_a_refusal(slotd):
    tail = uuid.uuid4().hex[:8]
    name = f"!metrics-match-{tail}"
    create(slotd, name, 2, slot_decay_per_second=1e-6)
    increment = f"{slotd.base_url}/v2/concurrency_limits/increment"
    before = scrape(slotd)
    lease = slotd.client.post(f"{slotd.base_url}/v2/concurrency_limits/increment-with-lease",
                              json={"names": [name], "slots": 2})
    assert lease.status_code == 200
    assert slotd.client.post(increment, json={"names": [name], "slots": 1}).status_code == 423
    after = scrape(slotd)
    read = slotd.client.get(f"{slotd.base_url}/v2/concurrency_limits/{name}").json()
    assert by_name(after["slotd_limit_active_slots"])[name].value == read["active_slots"] == 2
    assert by_name(after["slotd_limit_limit"])[name].value == read["limit"]
    assert by_name(after["slotd_limit_denied_slots"])[name].value == 1
    assert by_name(after["slotd_limit_holders"])[name].value == 1
    assert by_name(after["slotd_limit_waiters"])[name].value == 0

    def total(families, family):
        return families[family].samples[0].value

    # pytest runs one test at a time: nothing else acquired in between.
    assert total(after, "slotd_acquisitions") - total(before, "slotd_acquisitions") == 1
    assert total(after, "slotd_refusals") - total(before, "slotd_refusals") == 1

    holders = slotd.client.get(f"{slotd.base_url}/slotd/limits/{name}/holders")
    assert holders.status_code == 200
    answer = holders.json()
    assert [h["lease_id"] for h in answer["holders"]] == [lease.json()["lease_id"]]
    assert answer["holders"][0]["renewals"] == 0
    assert answer["waiting"] == 0
    assert answer["waiters"] == []
