// Fuzzes the Prefer header parser (api/prefect/prefer.h): any field value
// either yields no wait or a delta-seconds in [0, 2^31 - 1], and the same
// value parses the same way when other preferences surround it.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "api/prefect/prefer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view prefer(reinterpret_cast<const char*>(data), size);
  const std::optional<int64_t> wait = slotd::api::ParsePreferWait(prefer);
  if (wait && (*wait < 0 || *wait > (int64_t{1} << 31) - 1)) std::abort();
  // A preference in front that is not a wait changes nothing.
  const std::string prefixed = "respond-async, " + std::string(prefer);
  if (slotd::api::ParsePreferWait(prefixed) != wait) std::abort();
  return 0;
}
