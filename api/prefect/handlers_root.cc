// GET /api/health, /ready, /version, /admin/version, /admin/storage, /hello and
// /csrf-token.
#include "api/json/writer.h"
#include "api/prefect/handlers.h"

namespace slotd::api {
namespace {

void RespondJsonString(std::string_view text, ApiResponse* out) {
  out->status = 200;
  out->body.clear();
  AppendJsonString(&out->body, text);
}

}  // namespace

void HandleHealth(const HandlerInput&, ApiResponse* out) { out->body = "true"; }

void HandleReady(const HandlerInput&, ApiResponse* out) { out->body = R"({"message":"OK"})"; }

void HandleVersion(const HandlerInput& in, ApiResponse* out) {
  RespondJsonString(in.context.config.api_version, out);
}

void HandleAdminVersion(const HandlerInput& in, ApiResponse* out) {
  RespondJsonString(in.context.config.prefect_version, out);
}

// The server's default result storage block: slotd keeps no blocks, so none
// is ever configured, as on a fresh Prefect server. A Prefect client reads it
// before a task stores its result (a 404 there is a silent fallback, but not
// what a server answers).
void HandleAdminStorage(const HandlerInput&, ApiResponse* out) {
  out->body = R"({"default_result_storage_block_id":null})";
}

void HandleHello(const HandlerInput&, ApiResponse* out) { RespondJsonString("\U0001F44B", out); }

// slotd, like a default Prefect server, runs without CSRF protection; this
// answer tells a Prefect client to stop asking for tokens.
void HandleCsrfToken(const HandlerInput& in, ApiResponse* out) {
  if (!in.request.csrf_client) {
    static constexpr LocNode kQuery{nullptr, std::string_view("query")};
    RespondInvalidRequest(in, {MissingError({&kQuery, std::string_view("client")}, "null")}, out);
    return;
  }
  RespondDetail(out, 422, "CSRF protection is disabled.");
}

}  // namespace slotd::api
