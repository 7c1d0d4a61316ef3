#include "api/http/access_log.h"

#include <catch2/catch.hpp>
#include <string>

namespace slotd::api::test {
namespace {

std::string Line(bool json, std::string_view method, std::string_view target, int status = 200,
                 int64_t micros = 57) {
  const AccessLog log(true, json);
  char line[AccessLog::kMaxLine];
  return std::string(line, log.Format(method, target, status, micros, line));
}

}  // namespace

TEST_CASE("a text access-log line is method, target, status and time", "[access_log]") {
  CHECK(Line(false, "POST", "/api/v2/concurrency_limits/increment") ==
        "POST /api/v2/concurrency_limits/increment 200 57us\n");
  CHECK(Line(false, "GET", "/a\nb\x7f", 404, 3) == "GET /a?b? 404 3us\n");
}

TEST_CASE("a JSON access-log line has the text line's fields", "[access_log]") {
  CHECK(Line(true, "POST", "/api/v2/concurrency_limits/increment", 423, 104) ==
        R"({"method":"POST","target":"/api/v2/concurrency_limits/increment","status":423,)"
        R"("micros":104})"
        "\n");
}

TEST_CASE("a JSON access-log line escapes quotes and backslashes and hides other bytes",
          "[access_log]") {
  CHECK(Line(true, "G\"ET", "/a\"b\\c\nd\xc3\xa9") ==
        R"({"method":"G\"ET","target":"/a\"b\\c?d??","status":200,"micros":57})"
        "\n");
}

TEST_CASE("a long target is cut short in either format, within the line's bound", "[access_log]") {
  const std::string target(5000, '"');
  const std::string json = Line(true, std::string(100, 'M'), target, 599, INT64_MAX);
  CHECK(json.size() <= AccessLog::kMaxLine);
  CHECK(json.find(R"(\"...","status":599,"micros":9223372036854775807})") != std::string::npos);
  CHECK(json.find(std::string(16, 'M') + "...\"") != std::string::npos);
  const std::string text = Line(false, "GET", target);
  CHECK(text == "GET " + std::string(512, '"') + "... 200 57us\n");
}

}  // namespace slotd::api::test
