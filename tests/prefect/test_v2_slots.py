"""v2 slots and leases: increment (concurrency and rate_limit), decrement,
increment-with-lease, renew and release, against the real Prefect server.

Lease expiry is not compared: Prefect's shortest lease is 60 s and its
repossessor sweeps every 15 s (and is off in this server), so one expiry
would add over a minute; tests/e2e covers expiry against slotd alone."""

import time

import pytest

from harness import Table

table = Table("v2s")
V2 = "/v2/concurrency_limits"


def limit(x, suffix="", compare=False, **fields):
    return x.call("POST", f"{V2}/", {"name": x.name(suffix), "limit": 2} | fields, compare=compare)


def read(x, suffix=""):
    return x.call("GET", f"{V2}/{x.name(suffix)}")


@table.scenario
def increment_takes_slots_and_lists_every_existing_limit(x):
    limit(x, "-a", limit=3)
    limit(x, "-off", active=False)
    x.call("POST", f"{V2}/increment",
           {"names": [x.name("-a"), x.name("-off"), x.name("-none")], "slots": 2})
    read(x, "-a")
    read(x, "-off")


@table.scenario
def increment_of_a_full_limit_is_locked_and_counts_the_denial(x):
    limit(x, limit=1)
    x.call("POST", f"{V2}/increment", {"names": [x.name()], "slots": 1})
    x.call("POST", f"{V2}/increment", {"names": [x.name()], "slots": 1}, jitter=True)
    x.call("GET", f"{V2}/{x.name()}")


@table.scenario
def increment_more_than_the_limit_is_refused(x):
    limit(x, limit=2)
    x.call("POST", f"{V2}/increment", {"names": [x.name()], "slots": 3})


@table.scenario
def increment_of_only_unknown_names_is_empty(x):
    x.call("POST", f"{V2}/increment", {"names": [x.name()], "slots": 1})


@table.scenario
def rate_limit_needs_decay(x):
    limit(x, "-plain")
    limit(x, "-decays", slot_decay_per_second=1)
    x.call("POST", f"{V2}/increment",
           {"names": [x.name("-decays"), x.name("-plain")], "slots": 1, "mode": "rate_limit"})


@table.scenario
def rate_limit_takes_and_decays(x):
    limit(x, limit=2, slot_decay_per_second=2.0)
    x.call("POST", f"{V2}/increment", {"names": [x.name()], "slots": 2, "mode": "rate_limit"})
    x.call("POST", f"{V2}/increment", {"names": [x.name()], "slots": 1, "mode": "rate_limit"},
           jitter=True)
    time.sleep(1.2)  # 2.4 slots decayed: both back
    read(x)
    x.call("POST", f"{V2}/increment", {"names": [x.name()], "slots": 1, "mode": "rate_limit"})


@table.scenario
def decrement_gives_slots_back_never_below_zero(x):
    limit(x, limit=3, active_slots=2)
    x.call("POST", f"{V2}/decrement", {"names": [x.name()], "slots": 1})
    read(x)
    x.call("POST", f"{V2}/decrement", {"names": [x.name()], "slots": 5, "occupancy_seconds": 4})
    read(x)
    x.call("POST", f"{V2}/decrement", {"names": [x.name("-none")], "slots": 1})


@table.scenario
def decrement_with_occupancy_moves_the_average(x):
    limit(x, limit=2, active_slots=2)
    x.call("POST", f"{V2}/decrement", {"names": [x.name()], "slots": 2, "occupancy_seconds": 10})
    x.call("POST", f"{V2}/increment", {"names": [x.name()], "slots": 2})
    x.call("POST", f"{V2}/increment", {"names": [x.name()], "slots": 2}, jitter=True)


@table.scenario
def lease_holds_slots_until_released(x):
    limit(x, limit=2)
    lease = x.call("POST", f"{V2}/increment-with-lease",
                   {"names": [x.name()], "slots": 2, "lease_duration": 60,
                    "holder": {"type": "task_run", "id": x.uuid()}}).json()["lease_id"]
    read(x)
    x.call("POST", f"{V2}/leases/{lease}/renew", {"lease_duration": 120})
    x.call("POST", f"{V2}/leases/{lease}/renew")
    x.call("POST", f"{V2}/decrement-with-lease", {"lease_id": lease})
    read(x)
    x.call("POST", f"{V2}/decrement-with-lease", {"lease_id": lease})
    x.call("POST", f"{V2}/leases/{lease}/renew")


@table.scenario
def lease_on_unknown_names_holds_nothing(x):
    lease = x.call("POST", f"{V2}/increment-with-lease",
                   {"names": [x.name()], "slots": 1}).json()["lease_id"]
    x.call("POST", f"{V2}/leases/{lease}/renew")


@table.scenario
def lease_of_a_full_limit_is_locked(x):
    limit(x, limit=1, active_slots=1)
    x.call("POST", f"{V2}/increment-with-lease", {"names": [x.name()], "slots": 1}, jitter=True)


@table.scenario
def lease_survives_a_v2_delete_of_its_limit(x):
    limit(x)
    lease = x.call("POST", f"{V2}/increment-with-lease",
                   {"names": [x.name()], "slots": 1}, compare=False).json()["lease_id"]
    x.call("DELETE", f"{V2}/{x.name()}")
    x.call("POST", f"{V2}/leases/{lease}/renew")
    x.call("POST", f"{V2}/decrement-with-lease", {"lease_id": lease})


@table.scenario
def renew_of_an_unknown_lease_is_gone(x):
    x.call("POST", f"{V2}/leases/{x.uuid()}/renew")
    x.call("POST", f"{V2}/leases/not-a-uuid/renew")
    x.call("POST", f"{V2}/leases/{x.uuid()}/renew", {"lease_duration": 59})


@table.scenario
def release_of_an_unknown_lease_is_no_content(x):
    x.call("POST", f"{V2}/decrement-with-lease", {"lease_id": x.uuid()})


def one(path, body):
    return lambda x: x.call("POST", f"{V2}/{path}", body(x) if callable(body) else body)


for name, path, body in [
    ("increment_refuses_zero_slots", "increment", {"names": ["a"], "slots": 0}),
    ("increment_refuses_no_names", "increment", {"names": [], "slots": 1}),
    ("increment_refuses_a_bad_mode", "increment", {"names": ["a"], "slots": 1, "mode": "x"}),
    ("increment_takes_null_create_if_missing", "increment",
     lambda x: {"names": [x.name()], "slots": 1, "create_if_missing": None}),
    ("increment_takes_a_string_create_if_missing", "increment",
     lambda x: {"names": [x.name()], "slots": 1, "create_if_missing": "yes"}),
    ("increment_refuses_a_bad_create_if_missing", "increment",
     {"names": ["a"], "slots": 1, "create_if_missing": "maybe"}),
    ("increment_takes_string_slots", "increment", lambda x: {"names": [x.name()], "slots": "1"}),
    ("increment_refuses_null_slots", "increment", {"names": ["a"], "slots": None}),
    ("increment_refuses_an_empty_body", "increment", {}),
    ("increment_refuses_extras_silently", "increment",
     lambda x: {"names": [x.name()], "slots": 1, "colour": "red"}),
    ("increment_refuses_a_list_body", "increment", [1]),
    ("lease_refuses_a_short_duration", "increment-with-lease",
     {"names": ["a"], "slots": 1, "lease_duration": 59.5}),
    ("lease_refuses_a_long_duration", "increment-with-lease",
     {"names": ["a"], "slots": 1, "lease_duration": 86401}),
    ("lease_takes_a_string_duration", "increment-with-lease",
     lambda x: {"names": [x.name()], "slots": 1, "lease_duration": "90"}),
    ("lease_refuses_a_bad_holder_type", "increment-with-lease",
     {"names": ["a"], "slots": 1, "holder": {"type": "user", "id": "4b5e1a7c-1d2e-4f3a-9b8c-7d6e5f4a3b2c"}}),
    ("lease_refuses_a_holder_with_extras", "increment-with-lease",
     {"names": ["a"], "slots": 1,
      "holder": {"type": "flow_run", "id": "4b5e1a7c-1d2e-4f3a-9b8c-7d6e5f4a3b2c", "x": 1}}),
    ("lease_refuses_a_holder_without_id", "increment-with-lease",
     {"names": ["a"], "slots": 1, "holder": {"type": "flow_run"}}),
    ("lease_refuses_a_holder_that_is_not_an_object", "increment-with-lease",
     {"names": ["a"], "slots": 1, "holder": "me"}),
    ("lease_takes_a_null_holder", "increment-with-lease",
     lambda x: {"names": [x.name()], "slots": 1, "holder": None}),
    ("decrement_refuses_zero_occupancy", "decrement",
     {"names": ["a"], "slots": 1, "occupancy_seconds": 0}),
    ("decrement_refuses_a_word_occupancy", "decrement",
     {"names": ["a"], "slots": 1, "occupancy_seconds": "long"}),
    ("decrement_refuses_negative_slots", "decrement", {"names": ["a"], "slots": -1}),
    ("release_refuses_a_bad_lease_id", "decrement-with-lease", {"lease_id": "abc"}),
    ("release_refuses_a_missing_lease_id", "decrement-with-lease", {}),
    ("release_refuses_a_null_lease_id", "decrement-with-lease", {"lease_id": None}),
    ("release_refuses_a_list_body", "decrement-with-lease", ["x"]),
]:
    table.add(name, one(path, body))


@table.scenario
def slot_routes_refuse_no_body_and_bad_json(x):
    for path in ["increment", "increment-with-lease", "decrement", "decrement-with-lease"]:
        x.call("POST", f"{V2}/{path}")
        x.call("POST", f"{V2}/{path}", content=b'{"names": [', headers={"content-type": "application/json"})


@table.scenario
def renew_refuses_bad_bodies(x):
    lease = x.call("POST", f"{V2}/increment-with-lease",
                   {"names": [x.name()], "slots": 1}, compare=False).json()["lease_id"]
    for body in [{"lease_duration": 10}, {"lease_duration": "x"}, {"lease_duration": None},
                 {"other": 1}, [], "s"]:
        x.call("POST", f"{V2}/leases/{lease}/renew", body)


@pytest.mark.parametrize("scenario_id", table.params())
def test_slotd_answers_as_prefect(servers, scenario_id):
    table.run(*servers, scenario_id)
