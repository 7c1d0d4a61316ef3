// Ids (engine/uuid.h): fresh v4 ids, the canonical lowercase form, and the
// forms ParseUuid accepts (those Python's uuid.UUID accepts).
#include <set>

#include "tests/engine/engine_test_support.h"

namespace slotd::test {
namespace {

constexpr std::string_view kCanonical = "0f8fad5b-d9cb-469f-a165-70867728950e";
constexpr std::string_view kHex = "0f8fad5bd9cb469fa16570867728950e";

TEST_CASE("fresh ids are distinct random version 4 UUIDs", "[uuid]") {
  std::set<Uuid> seen;
  for (int i = 0; i < 1000; ++i) {
    Uuid id = NewRandomUuid();
    CHECK(id.version() == Uuid::version_random_number_based);
    CHECK(id.variant() == Uuid::variant_rfc_4122);
    seen.insert(id);
  }
  CHECK(seen.size() == 1000);
}

TEST_CASE("an id formats as 36 lowercase characters in 8-4-4-4-12 groups", "[uuid]") {
  std::optional<Uuid> id = ParseUuid("0F8FAD5B-D9CB-469F-A165-70867728950E");
  REQUIRE(id);
  CHECK(FormatUuid(*id) == kCanonical);
  char out[36];
  FormatUuidTo(*id, out);
  CHECK(std::string_view(out, 36) == kCanonical);
}

TEST_CASE("a formatted id parses back to the same id", "[uuid]") {
  for (int i = 0; i < 100; ++i) {
    Uuid id = NewRandomUuid();
    CHECK(ParseUuid(FormatUuid(id)) == std::optional<Uuid>(id));
  }
}

TEST_CASE("an id parses from the canonical form, 32 hex digits, braces or a urn:uuid: prefix",
          "[uuid]") {
  const std::optional<Uuid> expected = ParseUuid(kCanonical);
  REQUIRE(expected);
  const std::string text =
      GENERATE(std::string(kCanonical), std::string("0F8FAD5B-D9CB-469F-A165-70867728950E"),
               std::string(kHex), std::string("0F8FAD5BD9CB469FA16570867728950E"),
               "{" + std::string(kCanonical) + "}", "{" + std::string(kHex) + "}",
               "urn:uuid:" + std::string(kCanonical), "urn:uuid:" + std::string(kHex));
  CAPTURE(text);
  CHECK(ParseUuid(text) == expected);
}

TEST_CASE("text that is not one of the accepted id forms does not parse", "[uuid]") {
  const std::string text = GENERATE(
      std::string(""), std::string("not-a-uuid"),
      std::string(kCanonical.substr(0, 35)),                // one digit short
      std::string(kCanonical) + "0",                        // one digit long
      std::string("0f8fad5bd-9cb-469f-a165-70867728950e"),  // hyphen misplaced
      std::string("0f8fad5b-d9cb-469f-a165-70867728950g"),  // not hex
      std::string("0f8fad5b_d9cb_469f_a165_70867728950e"),  // wrong separator
      "{" + std::string(kCanonical), std::string(kCanonical) + "}", " " + std::string(kCanonical));
  CAPTURE(text);
  CHECK_FALSE(ParseUuid(text));
}

}  // namespace
}  // namespace slotd::test
