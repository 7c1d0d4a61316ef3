"""v2 global limits: create, read, filter and paging, update, rename, delete,
and every validation error of their bodies, against the real Prefect server."""

import pytest
from pydantic import BaseModel, Field, ValidationError

from harness import Table

table = Table("v2l")
V2 = "/v2/concurrency_limits"


def create(x, suffix="", compare=False, **fields):
    body = {"name": x.name(suffix), "limit": 2} | fields
    return x.call("POST", f"{V2}/", body, compare=compare)


# ---- create: valid bodies, defaults, coercions -------------------------------


def create_with(**fields):
    def run(x):
        reply = create(x, compare=True, **fields)
        if reply.status == 201:
            x.call("GET", f"{V2}/{x.name()}")
    return run


for name, fields in [
    ("create_takes_the_defaults", {}),
    ("create_takes_every_field", {"active": False, "active_slots": 1, "denied_slots": 3,
                                  "slot_decay_per_second": 0.5}),
    ("create_takes_a_limit_of_zero", {"limit": 0}),
    ("create_takes_an_integral_float_limit", {"limit": 3.0}),
    ("create_takes_a_digit_string_limit", {"limit": "3"}),
    ("create_refuses_a_fractional_limit", {"limit": 1.5}),
    ("create_refuses_a_fractional_string_limit", {"limit": "1.5"}),
    ("create_refuses_a_word_limit", {"limit": "three"}),
    ("create_refuses_a_boolean_limit", {"limit": True}),
    ("create_refuses_a_negative_limit", {"limit": -1}),
    ("create_refuses_a_null_limit", {"limit": None}),
    ("create_refuses_a_list_limit", {"limit": [1]}),
    ("create_takes_yes_for_active", {"active": "yes"}),
    ("create_takes_off_for_active", {"active": "off"}),
    ("create_takes_one_for_active", {"active": 1}),
    ("create_takes_zero_for_active", {"active": 0}),
    ("create_refuses_two_for_active", {"active": 2}),
    ("create_refuses_a_word_for_active", {"active": "maybe"}),
    ("create_refuses_null_for_active", {"active": None}),
    ("create_refuses_null_active_slots", {"active_slots": None}),
    ("create_refuses_negative_denied_slots", {"denied_slots": -2}),
    ("create_takes_a_string_decay", {"slot_decay_per_second": "0.25"}),
    ("create_takes_an_integer_decay", {"slot_decay_per_second": 2}),
    ("create_refuses_a_negative_decay", {"slot_decay_per_second": -0.5}),
    ("create_refuses_a_word_decay", {"slot_decay_per_second": "fast"}),
    ("create_refuses_a_null_decay", {"slot_decay_per_second": None}),
    ("create_refuses_extra_fields", {"colour": "red", "id": "x"}),
    ("create_refuses_a_number_name", {"name": 7}),
    ("create_refuses_an_empty_name", {"name": ""}),
    ("create_refuses_a_name_with_a_slash", {"name": "a/b"}),
    ("create_refuses_a_name_with_a_percent", {"name": "a%b"}),
    ("create_refuses_a_null_name", {"name": None}),
]:
    table.add(name, create_with(**fields))


@table.scenario
def create_refuses_a_huge_limit(x):
    # Prefect's 500 leaves the connection unusable: this request closes it.
    x.call("POST", f"{V2}/", {"name": x.name(), "limit": 10**20}, headers={"connection": "close"})


@table.scenario
def create_refuses_a_body_without_name_or_limit(x):
    x.call("POST", f"{V2}/", {})
    x.call("POST", f"{V2}/", {"limit": 1})


@table.scenario
def create_refuses_a_body_that_is_not_an_object(x):
    x.call("POST", f"{V2}/", [])
    x.call("POST", f"{V2}/", "name")
    x.call("POST", f"{V2}/", 3)


@table.scenario
def create_refuses_no_body(x):
    x.call("POST", f"{V2}/")
    x.call("POST", f"{V2}/", None)


@table.scenario
def create_refuses_bad_json(x):
    x.call("POST", f"{V2}/", content=b'{"name": "a", ', headers={"content-type": "application/json"})
    x.call("POST", f"{V2}/", content=b"{'name': 1}", headers={"content-type": "application/json"})
    x.call("POST", f"{V2}/", content=b'{"a":1}x', headers={"content-type": "application/json"})


@table.scenario
def create_without_content_type_reads_json(x):
    x.call("POST", f"{V2}/", content=f'{{"name": "{x.name()}", "limit": 1}}'.encode())


@table.scenario
def create_with_a_form_content_type_is_not_json(x):
    x.call("POST", f"{V2}/", content=b'{"name": "a", "limit": 1}',
           headers={"content-type": "application/x-www-form-urlencoded"})


for name, content_type in [
    ("create_with_a_text_content_type_is_not_json", "text/plain"),
    ("create_with_an_empty_content_type_is_not_json", ""),
    ("create_with_a_json_like_content_type_is_not_json", "application/json5"),
    ("create_with_a_plus_json_content_type_reads_json", "application/merge-patch+json"),
    ("create_with_json_parameters_and_case_reads_json", "APPLICATION/JSON; charset=utf-8"),
]:
    def run(x, content_type=content_type):
        x.call("POST", f"{V2}/", content=f'{{"name": "{x.name()}", "limit": 1}}',
               headers={"content-type": content_type})
    table.add(name, run)


@table.scenario
def create_with_a_chunked_body_and_no_content_type_is_not_json(x):
    x.call("POST", f"{V2}/", content=iter([b'{"name": ', f'"{x.name()}", "limit": 1}}'.encode()]))


@table.scenario
def create_keeps_a_byte_order_mark_of_a_text_body(x):
    x.call("POST", f"{V2}/", content=b"\xef\xbb\xbfabc", headers={"content-type": "text/plain"})


@table.scenario
def update_with_a_text_body_is_not_json(x):
    create(x)
    x.call("PATCH", f"{V2}/{x.name()}", content=b'{"limit": 5}',
           headers={"content-type": "text/plain"})
    x.call("GET", f"{V2}/{x.name()}")


@table.scenario
def embedded_field_routes_read_a_text_body_as_none(x):
    filled(x, [x.name()])  # the filter lists every limit
    text = {"content-type": "text/plain"}
    x.call("POST", f"{V2}/filter", content=b'{"limit": 0}', headers=text)
    x.call("POST", f"{V2}/increment", content=b'{"names": ["a"], "slots": 1}', headers=text)
    x.call("POST", f"{V2}/increment-with-lease", content=b"{}", headers=text)
    x.call("POST", f"{V2}/decrement", content=b"x", headers=text)
    x.call("POST", f"{V2}/decrement-with-lease", content=b"{}", headers=text)
    x.call("POST", f"{V2}/leases/{x.uuid()}/renew", content=b"{}", headers=text)


@table.scenario
def a_text_body_that_is_not_utf8_fails_only_where_it_is_echoed(x):
    # uvicorn drops the connection after Prefect's 500: none is kept.
    text = {"content-type": "text/plain", "connection": "close"}
    x.call("POST", f"{V2}/", content=b"\xff\xfe{", headers=text)
    x.call("POST", f"{V2}/decrement-with-lease", content=b"\xff", headers=text)
    x.call("POST", f"{V2}/leases/{x.uuid()}/renew", content=b"\xff", headers=text)


@table.scenario
def create_refuses_a_duplicate_name(x):
    create(x)
    create(x, compare=True)


@table.scenario
def create_route_without_trailing_slash(x):
    x.call("POST", V2, {"name": x.name(), "limit": 1})


# ---- read ----------------------------------------------------------------------


@table.scenario
def read_by_name_and_by_id(x):
    limit_id = create(x, limit=4, active_slots=1).json()["id"]
    x.call("GET", f"{V2}/{x.name()}")
    x.call("GET", f"{V2}/{limit_id}")
    x.call("GET", f"{V2}/{limit_id.upper()}")


@table.scenario
def read_unknown_is_not_found(x):
    x.call("GET", f"{V2}/{x.name()}")
    x.call("GET", f"{V2}/{x.uuid()}")


@table.scenario
def read_with_a_trailing_slash(x):
    create(x)
    x.call("GET", f"{V2}/{x.name()}/")
    x.call("PATCH", f"{V2}/{x.name()}/", {"limit": 3})
    x.call("POST", f"{V2}/filter/", {})
    x.call("POST", f"{V2}/leases/{x.uuid()}/renew/")
    x.call("GET", f"{V2}/a%20b%3Fc%23d/")


# ---- filter and paging (an empty table first) -----------------------------------


def filled(x, names):
    x.server.clear()
    for name in names:
        x.call("POST", f"{V2}/", {"name": name, "limit": 1}, compare=False)


@table.scenario
def filter_lists_everything_by_name(x):
    filled(x, ["b", "tag:a", "a", "C", "_"])
    x.call("POST", f"{V2}/filter", {})
    x.call("POST", f"{V2}/filter")


@table.scenario
def filter_pages(x):
    filled(x, [f"p{i:02d}" for i in range(7)])
    for page in [{"limit": 3}, {"limit": 3, "offset": 3}, {"limit": 3, "offset": 6},
                 {"offset": 10}, {"limit": 0}, {"limit": "2", "offset": "1"},
                 {"limit": None, "offset": None}, {"limit": 2.0}]:
        x.call("POST", f"{V2}/filter", page)


@table.scenario
def filter_refuses_bad_pages(x):
    for page in [{"limit": -1}, {"limit": 201}, {"offset": -1}, {"limit": "x"},
                 {"limit": 1.5}, {"offset": "y", "limit": -1}, {"limit": 200, "offset": 2.5},
                 {"extra": 1}, [], "x"]:
        x.call("POST", f"{V2}/filter", page)


# ---- update, rename, delete -----------------------------------------------------


def update_with(fields, setup=None):
    def run(x):
        create(x, **(setup or {}))
        x.call("PATCH", f"{V2}/{x.name()}", fields)
        x.call("GET", f"{V2}/{x.name()}")
    return run


for name, fields in [
    ("update_sets_the_limit", {"limit": 9}),
    ("update_sets_a_digit_string_limit", {"limit": "9"}),
    ("update_sets_active_off", {"active": False}),
    ("update_sets_active_from_a_string", {"active": "false"}),
    ("update_sets_active_slots", {"active_slots": 2}),
    ("update_sets_denied_slots", {"denied_slots": 5}),
    ("update_sets_decay", {"slot_decay_per_second": 1.5}),
    ("update_with_nothing_changes_nothing", {}),
    ("update_with_nulls_changes_nothing", {"limit": None, "active": None, "name": None}),
    ("update_refuses_a_negative_limit", {"limit": -3}),
    ("update_refuses_a_fractional_limit", {"limit": 2.5}),
    ("update_refuses_extra_fields", {"limit": 3, "created": "now"}),
    ("update_refuses_a_bad_name", {"name": "x>y"}),
    ("update_refuses_a_negative_decay", {"slot_decay_per_second": -1}),
]:
    table.add(name, update_with(fields))


@table.scenario
def update_renames(x):
    limit_id = create(x).json()["id"]
    x.call("PATCH", f"{V2}/{limit_id}", {"name": x.name("-new")})
    x.call("GET", f"{V2}/{x.name()}")
    x.call("GET", f"{V2}/{x.name('-new')}")


@table.scenario
def update_refuses_a_rename_onto_an_existing_name(x):
    create(x)
    create(x, "-other")
    x.call("PATCH", f"{V2}/{x.name()}", {"name": x.name("-other")})
    x.call("PATCH", f"{V2}/{x.name()}", {"name": x.name()})
    x.call("GET", f"{V2}/{x.name()}")


@table.scenario
def update_unknown_is_not_found(x):
    x.call("PATCH", f"{V2}/{x.name()}", {"limit": 1})
    x.call("PATCH", f"{V2}/{x.uuid()}", {"limit": 1})


@table.scenario
def update_refuses_bad_bodies(x):
    create(x)
    x.call("PATCH", f"{V2}/{x.name()}")
    x.call("PATCH", f"{V2}/{x.name()}", [1])
    x.call("PATCH", f"{V2}/{x.name()}", content=b"{", headers={"content-type": "application/json"})


@table.scenario
def delete_by_name_and_by_id(x):
    create(x)
    limit_id = create(x, "-2").json()["id"]
    x.call("DELETE", f"{V2}/{x.name()}")
    x.call("DELETE", f"{V2}/{limit_id}")
    x.call("GET", f"{V2}/{x.name()}")
    x.call("DELETE", f"{V2}/{x.name()}")


def _huge_limit(prefect, slotd):
    assert prefect[0].status == 500  # SQLite's integer overflows
    assert slotd[0].status == 422
    assert slotd[0].json()["exception_detail"][0]["type"] == "less_than_equal"


table.deviation("create_refuses_a_huge_limit",
                "Prefect crashes (500) on a count beyond int64; slotd answers 422", _huge_limit)

# slotd's default --max-name-bytes.
MAX_NAME_BYTES = 4096


def too_long_error(value, field, max_length):
    """The error pydantic gives a string field of max_length, as FastAPI
    reports it for body field `field`."""
    class Bounded(BaseModel):
        value: str = Field(max_length=max_length)
    try:
        Bounded(value=value)
    except ValidationError as error:
        (detail,) = error.errors(include_url=False)
        return {**detail, "loc": ["body", field]}
    raise AssertionError("pydantic took the value")


def long_name(x, suffix, size):
    """A name of this scenario's, padded to `size` bytes."""
    name = x.name(suffix)
    return name + "n" * (size - len(name))


@table.scenario
def a_name_past_the_bound(x):
    create(x)
    x.call("POST", f"{V2}/", {"name": long_name(x, "-c", MAX_NAME_BYTES + 1), "limit": 1})
    x.call("GET", f"{V2}/{long_name(x, '-c', MAX_NAME_BYTES + 1)}")
    x.call("PATCH", f"{V2}/{x.name()}", {"name": long_name(x, "-r", MAX_NAME_BYTES + 1)})
    x.call("POST", f"{V2}/", {"name": long_name(x, "-b", MAX_NAME_BYTES), "limit": 1})


def _name_bound(prefect, slotd):
    # replies: create too long, GET it, rename too long, create at the bound
    assert [r.status for r in prefect] == [201, 200, 204, 201]  # Prefect has no bound
    assert [r.status for r in slotd] == [422, 404, 422, 201]
    for reply in (slotd[0], slotd[2]):
        (error,) = reply.json()["exception_detail"]
        assert error == too_long_error(error["input"], "name", MAX_NAME_BYTES)


table.deviation("a_name_past_the_bound",
                "Limits: names are bounded in bytes (--max-name-bytes); Prefect has no bound",
                _name_bound)


@pytest.mark.parametrize("scenario_id", table.params())
def test_slotd_answers_as_prefect(servers, scenario_id):
    table.run(*servers, scenario_id)
