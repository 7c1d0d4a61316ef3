// Fuzzes the live page's answers (api/ui/ui_page.h): the input is a path,
// then a NUL, then an If-None-Match value. Every answer is a 200 with the
// bytes of an embedded file, a 304 only when If-None-Match was given, or a
// 404 with nothing; a value that matched keeps matching with another tag in
// front of it; index.html is always there, and nothing outside the page's
// paths is served.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "api/ui/embedded_files.h"
#include "api/ui/ui_page.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t nul = input.find('\0');
  const std::string_view path = input.substr(0, nul);
  const std::string_view if_none_match =
      nul == std::string_view::npos ? std::string_view() : input.substr(nul + 1);
  using slotd::api::AnswerUi;
  const slotd::api::UiAnswer answer = AnswerUi(path, if_none_match);
  switch (answer.status) {
    case 200: {
      bool embedded = false;
      for (const auto& file : slotd::api::EmbeddedUiFiles()) {
        embedded |= file.bytes.data() == answer.body.data() && file.bytes == answer.body;
      }
      if (!embedded || answer.headers.empty() || answer.content_type.empty()) std::abort();
      break;
    }
    case 304:
      if (if_none_match.empty() || !answer.body.empty() || answer.headers.empty()) std::abort();
      if (AnswerUi(path, "W/\"x\", " + std::string(if_none_match)).status != 304) std::abort();
      break;
    case 404:
      if (!answer.body.empty() || !answer.headers.empty()) std::abort();
      break;
    default:
      std::abort();
  }
  // index.html always exists; nothing outside the page's paths is served.
  const bool index = path == "/" || path == "/ui" || path == "/ui/";
  if (index && answer.status == 404) std::abort();
  if (!slotd::api::IsUiPath(path) && answer.status != 404) std::abort();
  return 0;
}
