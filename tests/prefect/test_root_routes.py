"""Root routes, unknown routes, wrong methods, the API-version header and
CSRF: slotd answers as the real Prefect server does."""

import pytest

from harness import Table

table = Table("root")


def single(method, path, headers=None):
    def run(x):
        x.call(method, path, headers=headers)
    return run


for name, method, path in [
    ("health_is_true", "GET", "/health"),
    ("ready_is_ok", "GET", "/ready"),
    ("version_is_the_api_version", "GET", "/version"),
    ("admin_version_is_the_pinned_release", "GET", "/admin/version"),
    ("admin_storage_has_no_default_result_storage", "GET", "/admin/storage"),
    ("admin_storage_refuses_post", "POST", "/admin/storage"),
    ("hello_waves", "GET", "/hello"),
    ("csrf_token_says_protection_is_disabled", "GET", "/csrf-token?client=abc"),
    ("csrf_token_without_client_is_a_query_error", "GET", "/csrf-token"),
    ("unknown_route_is_not_found", "GET", "/no/such/route"),
    ("api_root_is_not_found", "GET", "/"),
    ("health_refuses_post", "POST", "/health"),
    ("version_refuses_delete", "DELETE", "/version"),
    ("v1_create_refuses_get", "GET", "/concurrency_limits/"),
    ("v1_filter_refuses_get", "GET", "/concurrency_limits/filter"),
    ("v1_increment_refuses_put", "PUT", "/concurrency_limits/increment"),
    ("v1_tag_route_refuses_post", "POST", "/concurrency_limits/tag/x"),
    ("v1_reset_refuses_get", "GET", "/concurrency_limits/tag/x/reset"),
    ("v1_id_route_refuses_patch", "PATCH",
     "/concurrency_limits/4b5e1a7c-1d2e-4f3a-9b8c-7d6e5f4a3b2c"),
    ("v2_create_refuses_get", "GET", "/v2/concurrency_limits/"),
    ("v2_filter_refuses_put", "PUT", "/v2/concurrency_limits/filter"),
    ("v2_filter_refuses_get_as_a_name", "GET", "/v2/concurrency_limits/filter"),
    ("v2_increment_refuses_delete", "DELETE", "/v2/concurrency_limits/increment"),
    ("v2_name_route_refuses_post", "POST", "/v2/concurrency_limits/some-name"),
    ("v2_renew_refuses_get", "GET",
     "/v2/concurrency_limits/leases/4b5e1a7c-1d2e-4f3a-9b8c-7d6e5f4a3b2c/renew"),
    ("v2_decrement_with_lease_refuses_get", "GET", "/v2/concurrency_limits/decrement-with-lease"),
]:
    table.add(name, single(method, path))

for name, value in [
    ("api_version_header_current_is_accepted", "0.8.4"),
    ("api_version_header_newer_is_accepted", "9.1.0"),
    ("api_version_header_lower_is_refused", "0.7.9"),
    ("api_version_header_not_three_numbers_is_refused", "0.8"),
    ("api_version_header_words_are_refused", "abc"),
    ("api_version_header_four_numbers_are_refused", "0.8.4.1"),
    ("api_version_header_empty_is_refused", ""),
]:
    table.add(name, single("GET", "/hello", {"x-prefect-api-version": value}))
    table.add(name + "_on_health", single("GET", "/health", {"x-prefect-api-version": value}))


@table.scenario
def api_version_header_on_version_route(x):
    x.call("GET", "/version", headers={"x-prefect-api-version": "0.1.0"})
    x.call("GET", "/version", headers={"x-prefect-api-version": "bad"})


@table.scenario
def api_version_header_on_a_concurrency_route(x):
    x.call("POST", "/v2/concurrency_limits/filter", {}, headers={"x-prefect-api-version": "0.0.1"})
    x.call("POST", "/concurrency_limits/filter", {}, headers={"x-prefect-api-version": "x.y.z"})


@table.scenario
def routes_redirect_from_their_other_slash_form(x):
    for path in ["/health/", "/ready/", "/version/", "/admin/version/", "/admin/storage/", "/hello/",
                 "/csrf-token/?client=abc", "/health//"]:
        x.call("GET", path)


@table.scenario
def a_redirect_ignores_the_method_and_keeps_the_query(x):
    x.call("POST", "/health/")
    x.call("DELETE", "/version/?a=1&b=%20x&c=%C3%A9")
    x.call("PATCH", "/hello/", {"a": 1})


@table.scenario
def a_redirect_names_the_host_header_or_else_the_server(x):
    for host in ["example.com:8080", "EXAMPLE.com", "[::1]:5", "h:99999", ""]:
        x.call("GET", "/health/", headers={"host": host})


@table.scenario
def a_host_header_that_is_not_a_host_is_refused(x):
    x.call("GET", "/health/", headers={"host": "bad host"})


def _host_refused(prefect, slotd):
    assert prefect[0].status == 307
    assert slotd[0].status == 400 and slotd[0].json() == {"detail": "Bad Request"}


table.deviation("a_host_header_that_is_not_a_host_is_refused",
                "RFC 9112 3.2: a Host that is not a valid field value is a 400 "
                "(uvicorn passes it on and Starlette falls back to the server address)",
                _host_refused)


@table.scenario
def a_path_with_no_route_in_either_slash_form_is_not_found(x):
    for path in ["/no/such/", "/concurrency_limits/not-a-uuid/", "/concurrency_limits//", "//",
                 "/v2/concurrency_limits/a/b/"]:
        x.call("GET", path)


@table.scenario
def orchestration_routes_are_not_served(x):
    x.call("POST", "/flows/filter", {})


def _not_served(prefect, slotd):
    assert prefect[0].status == 200
    assert slotd[0].status == 404 and slotd[0].json() == {"detail": "Not Found"}


table.deviation("orchestration_routes_are_not_served",
                "API.md: orchestration routes (flows, flow runs, ...) are not served", _not_served)


@pytest.mark.parametrize("scenario_id", table.params())
def test_slotd_answers_as_prefect(servers, scenario_id):
    table.run(*servers, scenario_id)
