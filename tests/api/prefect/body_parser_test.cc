#include "api/prefect/body_parser.h"

#include <catch2/catch.hpp>

#include "api/json/input_echo.h"
#include "api/json/syntax_error_location.h"

namespace slotd::api::test {

namespace {

// Python's (position, message) for a document json.loads rejects.
std::pair<int64_t, std::string> PythonError(std::string_view text) {
  const JsonDiagnosis diagnosis = DiagnoseJson(text);
  REQUIRE(diagnosis.kind == JsonDiagnosis::Kind::kSyntaxError);
  return {diagnosis.offset, std::string(diagnosis.message)};
}

}  // namespace

TEST_CASE("malformed JSON is located where Python's json module reports it", "[json_body]") {
  using Error = std::pair<int64_t, std::string>;
  CHECK(PythonError("") == Error{0, "Expecting value"});
  CHECK(PythonError("   ") == Error{3, "Expecting value"});
  CHECK(PythonError("slots=1") == Error{0, "Expecting value"});
  CHECK(PythonError(R"({"name": "x", )") ==
        Error{14, "Expecting property name enclosed in double quotes"});
  CHECK(PythonError(R"({"a" 1})") == Error{5, "Expecting ':' delimiter"});
  CHECK(PythonError(R"({"a":1 "b":2})") == Error{7, "Expecting ',' delimiter"});
  CHECK(PythonError(R"({"a":})") == Error{5, "Expecting value"});
  CHECK(PythonError("[1,]") == Error{3, "Expecting value"});
  CHECK(PythonError("[1 2]") == Error{3, "Expecting ',' delimiter"});
  CHECK(PythonError(R"({"a":1} x)") == Error{8, "Extra data"});
  CHECK(PythonError("01") == Error{1, "Extra data"});
  CHECK(PythonError(R"({"a":"open)") == Error{5, "Unterminated string starting at"});
  CHECK(PythonError("\"tab\there\"") == Error{4, "Invalid control character at"});
  CHECK(PythonError(R"("bad \q escape")") == Error{5, "Invalid \\escape"});
  CHECK(PythonError(R"("\u12x4")") == Error{2, "Invalid \\uXXXX escape"});
}

TEST_CASE("error positions count characters, not bytes, as Python does", "[json_body]") {
  CHECK(DiagnoseJson("{\"caf\xc3\xa9\":}").offset == 8);
}

TEST_CASE("valid JSON with a number simdjson cannot hold is located by path", "[json_body]") {
  const JsonDiagnosis diagnosis = DiagnoseJson(R"({"a":[1,{"b":123456789012345678901234567890}]})");
  REQUIRE(diagnosis.kind == JsonDiagnosis::Kind::kNumberOutOfRange);
  REQUIRE(diagnosis.path.size() == 3);
  CHECK(std::get<std::string_view>(diagnosis.path[0]) == "a");
  CHECK(std::get<int64_t>(diagnosis.path[1]) == 1);
  CHECK(std::get<std::string_view>(diagnosis.path[2]) == "b");
  CHECK(diagnosis.token == "123456789012345678901234567890");
  CHECK(DiagnoseJson("1e400").kind == JsonDiagnosis::Kind::kNumberOutOfRange);
  CHECK(DiagnoseJson("18446744073709551615").kind == JsonDiagnosis::Kind::kOther);
}

TEST_CASE("a malformed body answers 422 json_invalid with the raw text", "[json_body]") {
  BodyParser parser;
  Body body;
  ApiResponse out;
  REQUIRE_FALSE(parser.Parse(R"({"a" 1})", &body, &out));
  CHECK(out.status == 422);
  CHECK(
      out.body ==
      R"({"exception_message":"Invalid request received.","exception_detail":[{"type":"json_invalid","loc":["body",5],"msg":"JSON decode error","input":{},"ctx":{"error":"Expecting ':' delimiter"}}],"request_body":"{\"a\" 1}"})");
}

TEST_CASE("a huge integer answers 422 at its field, never a crash", "[json_body]") {
  BodyParser parser;
  Body body;
  ApiResponse out;
  REQUIRE_FALSE(parser.Parse(R"({"slots":99999999999999999999999})", &body, &out));
  CHECK(out.status == 422);
  CHECK(
      out.body.find(
          R"("type":"less_than_equal","loc":["body","slots"],"msg":"Input should be less than or equal to 9223372036854775807")") !=
      std::string::npos);
}

TEST_CASE("a body that is not UTF-8 answers 400 as FastAPI does", "[json_body]") {
  BodyParser parser;
  Body body;
  ApiResponse out;
  REQUIRE_FALSE(parser.Parse("{\"a\":\"\xff\"}", &body, &out));
  CHECK(out.status == 400);
  CHECK(out.body == R"({"detail":"There was an error parsing the body"})");
}

TEST_CASE("JSON null is no body, and a byte order mark is skipped", "[json_body]") {
  BodyParser parser;
  Body body;
  ApiResponse out;
  REQUIRE(parser.Parse("null", &body, &out));
  CHECK_FALSE(body.has_value());
  REQUIRE(parser.Parse("\xEF\xBB\xBF{\"a\":1}", &body, &out));
  REQUIRE(body.has_value());
  CHECK(EchoedJson(*body) == R"({"a":1})");
}

TEST_CASE("a large body is parsed with its own parser", "[json_body]") {
  std::string big = R"({"names":[)";
  for (int i = 0; i < 5000; ++i) big += (i ? ",\"n" : "\"n") + std::to_string(i) + "\"";
  big += "]}";
  REQUIRE(big.size() > BodyParser::kThreadParserLimit);
  BodyParser parser;
  Body body;
  ApiResponse out;
  REQUIRE(parser.Parse(big, &body, &out));
  CHECK(body->at_key("names").get_array().size() == 5000);
}

TEST_CASE("echoed JSON follows Python: float repr, last duplicate value at first place",
          "[json_body]") {
  BodyParser parser;
  Body body;
  ApiResponse out;
  REQUIRE(parser.Parse(R"({"a":1.0,"b":[1e-5,2E3,-0.0],"a":"x\u00e9\n","c":{}})", &body, &out));
  CHECK(EchoedJson(*body) == "{\"a\":\"x\xc3\xa9\\n\",\"b\":[1e-05,2000.0,-0.0],\"c\":{}}");
}

TEST_CASE("a body is JSON when its Content-Type is application/json or application/*+json",
          "[body]") {
  ApiRequest request;
  for (const char* type :
       {"application/json", "APPLICATION/JSON; charset=utf-8", " application/json ",
        "application/merge-patch+json", "application/vnd.api+json;x=1", "application/+json"}) {
    INFO(type);
    request.content_type = type;
    CHECK(BodyIsJson(request));
  }
  for (const char* type :
       {"", "text/plain", "application/x-www-form-urlencoded", "application", "json", "text/json",
        "application/json5", "application/ json", "application/json/x"}) {
    INFO(type);
    request.content_type = type;
    CHECK_FALSE(BodyIsJson(request));
  }
}

TEST_CASE("a body without a Content-Type is JSON unless it came in chunks", "[body]") {
  ApiRequest request;
  CHECK(BodyIsJson(request));
  request.chunked = true;
  CHECK_FALSE(BodyIsJson(request));
}

}  // namespace slotd::api::test
