// The live page's files (api/ui/*.html, *.css, *.js, *.svg), built into the
// binary: api/ui/embed_files.cmake writes their bytes into a generated
// source at build time, so slotd serves the page with nothing on disk.
#pragma once

#include <span>
#include <string_view>

namespace slotd::api {

struct EmbeddedFile {
  std::string_view name;   // the file name, e.g. "app.js"
  std::string_view bytes;  // its contents, exactly as in the source tree
};

// Every embedded file, in the order api/ui/CMakeLists.txt lists them.
std::span<const EmbeddedFile> EmbeddedUiFiles();

}  // namespace slotd::api
