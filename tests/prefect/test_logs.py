"""Logs: POST /api/logs/ and POST /api/logs/filter, against the real Prefect
server. Both servers keep every log a scenario sends for the whole session,
so each scenario filters by flow or task run ids of its own."""

import pytest

from harness import Table, run_both

table = Table("logs")
LOGS = "/logs"


def log(run=None, task=None, level=20, message="hello", timestamp="2026-12-01T10:00:00Z",
        name="prefect.task_runs", **extra):
    body = {"name": name, "level": level, "message": message, "timestamp": timestamp}
    if run is not None:
        body["flow_run_id"] = run
    if task is not None:
        body["task_run_id"] = task
    return body | extra


def of_run(run, **criteria):
    return {"flow_run_id": {"any_": [run]}} | criteria


@table.scenario
def logs_are_read_back_by_flow_run_in_timestamp_order(x):
    run = x.uuid()
    x.call("POST", f"{LOGS}/", [
        log(run, message="third", timestamp="2026-12-01T10:00:02Z"),
        log(run, message="first", timestamp="2026-12-01T10:00:00.5+00:00"),
        log(run, message="second", timestamp="2026-12-01T10:00:01.123456Z"),
    ])
    x.call("POST", f"{LOGS}/filter", {"logs": of_run(run)})
    x.call("POST", f"{LOGS}/filter", {"logs": of_run(run), "sort": "TIMESTAMP_DESC"})
    x.call("POST", f"{LOGS}/filter", {"logs": of_run(run), "limit": 2})
    x.call("POST", f"{LOGS}/filter", {"logs": of_run(run), "offset": 1, "limit": 1})
    x.call("POST", f"{LOGS}/filter", {"logs": of_run(run), "offset": 5})


@table.scenario
def timestamps_are_read_in_every_common_form_and_kept_in_utc(x):
    run = x.uuid()
    forms = ["2026-12-01T10:00:00+02:00", "2026-12-01 09:00:00", "2026-12-01t08:30:00z",
             "2026-12-01T07:00:00-0130", "2026-12-01T06:00", "2026-12-01", 1764540000,
             1764540000123, 1764540000.25, "1764540000", "2026-12-01T05:00:00,5Z",
             "2026-12-01T04:00:00.1234567Z", "2026-12-01T03:00:00+05"]
    x.call("POST", f"{LOGS}/", [log(run, message=str(form), timestamp=form) for form in forms])
    x.call("POST", f"{LOGS}/filter", {"logs": of_run(run)})


@table.scenario
def levels_and_time_windows_narrow_the_logs(x):
    run = x.uuid()
    x.call("POST", f"{LOGS}/", [
        log(run, level=10, timestamp="2026-12-01T10:00:00Z"),
        log(run, level=20, timestamp="2026-12-01T11:00:00Z"),
        log(run, level=40, timestamp="2026-12-01T12:00:00Z"),
    ])
    x.call("POST", f"{LOGS}/filter", {"logs": of_run(run, level={"ge_": 20})})
    x.call("POST", f"{LOGS}/filter", {"logs": of_run(run, level={"ge_": 15, "le_": 39})})
    x.call("POST", f"{LOGS}/filter",
           {"logs": of_run(run, timestamp={"after_": "2026-12-01T11:00:00Z"})})
    x.call("POST", f"{LOGS}/filter",
           {"logs": of_run(run, timestamp={"before_": "2026-12-01T11:00:00Z",
                                           "after_": "2026-12-01T10:30:00Z"})})


@table.scenario
def task_run_ids_and_the_or_operator_select_logs(x):
    run, task, other_task = x.uuid(), x.uuid(), x.uuid()
    # Distinct timestamps: Prefect leaves the order of equal ones to its database.
    x.call("POST", f"{LOGS}/", [
        log(run, task, message="of the task", timestamp="2026-12-01T10:00:01Z"),
        log(run, message="of the flow", timestamp="2026-12-01T10:00:02Z"),
        log(task=other_task, message="of the other task", timestamp="2026-12-01T10:00:03Z")])
    x.call("POST", f"{LOGS}/filter", {"logs": of_run(run, task_run_id={"is_null_": True})})
    x.call("POST", f"{LOGS}/filter", {"logs": of_run(run, task_run_id={"is_null_": False})})
    x.call("POST", f"{LOGS}/filter", {"logs": {"task_run_id": {"any_": [task, other_task]}}})
    x.call("POST", f"{LOGS}/filter",
           {"logs": {"operator": "or_", "flow_run_id": {"any_": [run]},
                     "task_run_id": {"any_": [other_task]}}})
    x.call("POST", f"{LOGS}/filter", {"logs": {"operator": "and_", "flow_run_id": {"any_": [run]},
                                               "task_run_id": {"any_": [other_task]}}})


@table.scenario
def an_empty_list_of_logs_is_created(x):
    x.call("POST", f"{LOGS}/", [])


for name, body in [
    ("create_refuses_a_bad_log", [{"name": 1, "level": 2.5, "timestamp": "x", "extra": 1}]),
    ("create_refuses_an_object", {"name": "n"}),
    ("create_refuses_a_list_of_non_objects", [1, None]),
    ("create_reports_errors_of_every_log", [log(level="high"), log(timestamp=None),
                                            log(flow_run_id="nope"), log(message=None)]),
    ("create_refuses_bad_timestamps", [log(timestamp=t) for t in
                                       ["2026-13-01", "2026-12-01T25:00:00", " 2026-12-01",
                                        True, {}, "2026-12-01T10:00:00 Z", ""]]),
    ("create_refuses_one_bad_log_among_good_ones", [log(), log(level=None)]),
]:
    table.add(name, lambda x, body=body: x.call("POST", f"{LOGS}/", body))


@table.scenario
def create_without_a_body_is_missing(x):
    x.call("POST", f"{LOGS}/")


@table.scenario
def a_refused_create_keeps_none_of_its_logs(x):
    run = x.uuid()
    x.call("POST", f"{LOGS}/", [log(run), log(run, level="x")])
    x.call("POST", f"{LOGS}/filter", {"logs": of_run(run)})


for name, body in [
    ("filter_refuses_a_negative_limit", {"limit": -1}),
    ("filter_refuses_a_limit_over_the_default", {"limit": 201}),
    ("filter_refuses_a_negative_offset", {"offset": -1, "logs": {"flow_run_id": {"any_": []}}}),
    ("filter_refuses_an_unknown_sort", {"sort": "NEWEST", "logs": {"flow_run_id": {"any_": []}}}),
    ("filter_refuses_unknown_filter_keys", {"logs": {"name": {"any_": ["x"]}}}),
    ("filter_refuses_a_bad_operator", {"logs": {"operator": "xor_"}}),
    ("filter_refuses_non_object_criteria", {"logs": {"level": 5, "timestamp": []}}),
    ("filter_refuses_bad_criteria_values",
     {"logs": {"level": {"ge_": "high", "bogus": 1}, "timestamp": {"after_": "soon"},
               "flow_run_id": {"any_": ["nope"]}, "task_run_id": {"is_null_": "maybe"}}}),
    ("filter_refuses_a_non_object_filter", {"logs": [1], "offset": "x"}),
]:
    table.add(name, lambda x, body=body: x.call("POST", f"{LOGS}/filter", body))


@table.scenario
def filter_without_a_body_returns_logs(x):
    # Every log of the session, oldest first: only the status and type compare.
    reply = x.call("POST", f"{LOGS}/filter", compare=False)
    x.call("GET", "/health")
    assert reply.status == 200 and isinstance(reply.json(), list)


@table.scenario
def logs_routes_refuse_other_methods(x):
    x.call("GET", f"{LOGS}/")
    x.call("GET", f"{LOGS}/filter")
    x.call("POST", f"{LOGS}")


@table.scenario
def text_search_is_not_served(x):
    x.call("POST", f"{LOGS}/filter", {"logs": {"text": {"query": "hello"}}})


def _text_search(prefect, slotd):
    assert prefect[0].status == 200
    assert slotd[0].status == 422
    assert slotd[0].json() == {"detail": "slotd does not filter logs by text: leave out logs.text."}


table.deviation("text_search_is_not_served",
                "Logs: slotd does not serve LogFilter's text search", _text_search)


def test_timestamps_are_the_same_instants_as_prefect_reads_them(servers):
    # The comparison above normalises timestamps away; here they are compared as written.
    scenario_id = "logs-timestamps_are_read_in_every_common_form_and_kept_in_utc"
    # Under an id of its own, so its run ids differ from the scenario's.
    on_prefect, on_slotd = run_both(*servers, scenario_id + "-exact", table.scenarios[scenario_id])
    read = [[(log["message"], log["timestamp"]) for log in run.replies[-1][1].json()]
            for run in (on_prefect, on_slotd)]
    assert len(read[0]) == 13
    assert read[1] == read[0]


@pytest.mark.parametrize("scenario_id", table.params())
def test_slotd_answers_as_prefect(servers, scenario_id):
    table.run(*servers, scenario_id)
