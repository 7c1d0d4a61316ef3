#include "api/json/writer.h"

#include <catch2/catch.hpp>

namespace slotd::api::test {

namespace {
std::string Quoted(std::string_view text) {
  std::string out;
  AppendJsonString(&out, text);
  return out;
}
const Uuid kId = *ParseUuid("6F1C1C36-0F2C-4A53-9D5E-1A1B2C3D4E5F");
// 2026-11-24T06:31:33.123456Z
const TimePoint kWhen = TimePoint(Micros(1795501893123456));
}  // namespace

TEST_CASE("strings escape quotes, backslashes and control characters", "[json_writer]") {
  CHECK(Quoted("plain") == R"("plain")");
  CHECK(Quoted("say \"hi\"") == R"("say \"hi\"")");
  CHECK(Quoted("back\\slash") == R"("back\\slash")");
  CHECK(Quoted("\n\r\t\b\f") == R"("\n\r\t\b\f")");
  CHECK(Quoted(std::string_view("\x00\x01\x1f", 3)) == R"("\u0000\u0001\u001f")");
}

TEST_CASE("non-ASCII text and DEL pass through unescaped, as ensure_ascii=False leaves them",
          "[json_writer]") {
  CHECK(Quoted("caf\xc3\xa9 \xf0\x9f\x91\x8b") == "\"caf\xc3\xa9 \xf0\x9f\x91\x8b\"");
  CHECK(Quoted("\x7f") == "\"\x7f\"");
  CHECK(Quoted("</script>") == "\"</script>\"");
}

TEST_CASE("bytes that are not UTF-8 become U+FFFD, so answers stay valid UTF-8", "[json_writer]") {
  CHECK(Quoted("a\xff"
               "b") ==
        "\"a\xef\xbf\xbd"
        "b\"");
  CHECK(Quoted("\xc3") == "\"\xef\xbf\xbd\"");  // truncated sequence
  CHECK(Quoted("\xed\xa0\x80") == "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");  // a surrogate
  CHECK(Quoted("\xc0\xaf") == "\"\xef\xbf\xbd\xef\xbf\xbd\"");                  // overlong '/'
}

TEST_CASE("timestamps carry six fractional digits and a Z, none on a whole second as pydantic",
          "[json_writer]") {
  std::string out;
  AppendTimestamp(&out, kWhen);
  CHECK(out == "2026-11-24T06:31:33.123456Z");
  out.clear();
  AppendTimestamp(&out, TimePoint(std::chrono::seconds(1795501893)));
  CHECK(out == "2026-11-24T06:31:33Z");
  out.clear();
  AppendTimestamp(&out, TimePoint(Micros(0)));
  CHECK(out == "1970-01-01T00:00:00Z");
  out.clear();
  AppendTimestamp(&out, TimePoint(std::chrono::seconds(1795501893) + Micros(1)));
  CHECK(out == "2026-11-24T06:31:33.000001Z");
}

TEST_CASE("the writer separates values with bare commas and colons", "[json_writer]") {
  std::string out;
  JsonWriter writer(&out);
  writer.BeginObject();
  writer.Key("id");
  writer.Uuid(kId);
  writer.Key("list");
  writer.BeginArray();
  writer.Int(-3);
  writer.Double(2.0);
  writer.Bool(false);
  writer.Null();
  writer.BeginObject();
  writer.EndObject();
  writer.EndArray();
  writer.EscapedKey("k\"");
  writer.Uint(18446744073709551615u);
  writer.EndObject();
  CHECK(
      out ==
      R"({"id":"6f1c1c36-0f2c-4a53-9d5e-1a1b2c3d4e5f","list":[-3,2.0,false,null,{}],"k\"":18446744073709551615})");
}

}  // namespace slotd::api::test
