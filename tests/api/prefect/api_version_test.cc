#include "api/prefect/api_version.h"

#include <catch2/catch.hpp>

namespace slotd::api::test {

TEST_CASE("an absent or current API version passes", "[api_version]") {
  CHECK(CheckApiVersion("") == ApiVersionCheck::kOk);
  CHECK(CheckApiVersion("0.8.4") == ApiVersionCheck::kOk);
  CHECK(CheckApiVersion("0.8.0") == ApiVersionCheck::kOk);
  CHECK(CheckApiVersion("1.0.0") == ApiVersionCheck::kOk);
  CHECK(CheckApiVersion("0.10.0") == ApiVersionCheck::kOk);
}

TEST_CASE("version parts are read as Python's int() reads them", "[api_version]") {
  CHECK(CheckApiVersion(" 0.8.4 ") == ApiVersionCheck::kOk);
  CHECK(CheckApiVersion("+0.8.1_0") == ApiVersionCheck::kOk);
  CHECK(CheckApiVersion("0.8.99999999999999999999999") == ApiVersionCheck::kOk);
  CHECK(CheckApiVersion("0.8.-1") == ApiVersionCheck::kTooOld);
  CHECK(CheckApiVersion("0.8.1__0") == ApiVersionCheck::kMalformed);
}

TEST_CASE("a version below 0.8.0 is too old", "[api_version]") {
  CHECK(CheckApiVersion("0.7.99") == ApiVersionCheck::kTooOld);
  CHECK(ApiVersionErrorDetail(ApiVersionCheck::kTooOld, "0.7.99") ==
        "The request specified API version 0.7.99 but this server requires version 0.8.0 or "
        "higher.");
}

TEST_CASE("anything but three integers is malformed", "[api_version]") {
  for (const char* header : {"abc", "1.2", "1.2.3.4", "1..3", "1.2.x", "v0.8.4", "."}) {
    INFO(header);
    CHECK(CheckApiVersion(header) == ApiVersionCheck::kMalformed);
  }
  CHECK(ApiVersionErrorDetail(ApiVersionCheck::kMalformed, "abc") ==
        "Invalid X-PREFECT-API-VERSION header format.Expected header in format 'x.y.z' but "
        "received abc");
}

TEST_CASE("the header is echoed as Starlette decodes it, byte by byte as Latin-1",
          "[api_version]") {
  CHECK(ApiVersionErrorDetail(ApiVersionCheck::kMalformed, "v\xe9") ==
        "Invalid X-PREFECT-API-VERSION header format.Expected header in format 'x.y.z' but "
        "received v\xc3\xa9");
}

}  // namespace slotd::api::test
