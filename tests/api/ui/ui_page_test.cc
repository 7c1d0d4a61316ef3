#include "api/ui/ui_page.h"

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>
#include <string>

#include "api/ui/embedded_files.h"

using namespace slotd::api;

namespace {

std::string SourceFile(const std::string& name) {
  std::ifstream in(std::string(SLOTD_UI_SOURCE_DIR) + "/" + name, std::ios::binary);
  REQUIRE(in);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

// The ETag header's value in `headers`.
std::string EtagOf(std::string_view headers) {
  const size_t start = headers.find("ETag: ");
  REQUIRE(start != std::string_view::npos);
  const size_t end = headers.find("\r\n", start);
  return std::string(headers.substr(start + 6, end - start - 6));
}

}  // namespace

TEST_CASE("the embedded files are the bytes of api/ui's files", "[ui]") {
  size_t seen = 0;
  for (const EmbeddedFile& file : EmbeddedUiFiles()) {
    INFO(file.name);
    CHECK(file.bytes == SourceFile(std::string(file.name)));
    ++seen;
  }
  CHECK(seen == 4);
}

TEST_CASE("the page's paths are /, /ui and what is under /ui/", "[ui]") {
  for (const char* path : {"/", "/ui", "/ui/", "/ui/app.js", "/ui/nothing"}) {
    INFO(path);
    CHECK(IsUiPath(path));
  }
  for (const char* path : {"", "/uix", "/u", "/api/ui", "//", "/index.html", "/metrics"}) {
    INFO(path);
    CHECK_FALSE(IsUiPath(path));
  }
}

TEST_CASE("/, /ui and /ui/ answer index.html as HTML", "[ui]") {
  const std::string index = SourceFile("index.html");
  for (const char* path : {"/", "/ui", "/ui/", "/ui/index.html"}) {
    INFO(path);
    const UiAnswer answer = AnswerUi(path, "");
    CHECK(answer.status == 200);
    CHECK(answer.content_type == "text/html; charset=utf-8");
    CHECK(answer.body == index);
  }
}

TEST_CASE("each file is answered with its content type", "[ui]") {
  CHECK(AnswerUi("/ui/app.js", "").content_type == "text/javascript; charset=utf-8");
  CHECK(AnswerUi("/ui/app.css", "").content_type == "text/css; charset=utf-8");
  CHECK(AnswerUi("/ui/favicon.svg", "").content_type == "image/svg+xml");
  CHECK(AnswerUi("/ui/app.js", "").body == SourceFile("app.js"));
}

TEST_CASE("a path that names no file answers 404", "[ui]") {
  for (const char* path : {"/ui/nothing.js", "/ui/app.js/", "/ui//app.js", "/ui/APP.JS", "/uix"}) {
    INFO(path);
    const UiAnswer answer = AnswerUi(path, "");
    CHECK(answer.status == 404);
    CHECK(answer.body.empty());
    CHECK(answer.headers.empty());
  }
}

TEST_CASE("every answer of the page says no-cache, its ETag and a policy of self only", "[ui]") {
  const UiAnswer answer = AnswerUi("/", "");
  CHECK(answer.headers.starts_with("Cache-Control: no-cache\r\nETag: W/\""));
  CHECK(answer.headers.find("\r\nContent-Security-Policy: default-src 'self'; object-src 'none'; "
                            "base-uri 'self'; form-action 'self'; frame-ancestors 'self'\r\n") !=
        std::string_view::npos);
  CHECK(answer.headers.find("\r\nX-Content-Type-Options: nosniff\r\n") != std::string_view::npos);
  CHECK(answer.headers.ends_with("\r\n"));
  // One tag per file, 16 hex digits.
  CHECK(EtagOf(answer.headers).size() == 2 + 1 + 16 + 1);
  CHECK(EtagOf(answer.headers) != EtagOf(AnswerUi("/ui/app.js", "").headers));
}

TEST_CASE("If-None-Match naming the file's ETag answers 304 with the same headers", "[ui]") {
  const UiAnswer fresh = AnswerUi("/ui/app.js", "");
  const std::string etag = EtagOf(fresh.headers);
  const std::string opaque = etag.substr(2);
  for (const std::string& header : {etag, opaque, std::string("*"), "\"other\", " + etag,
                                    "W/\"other\"," + opaque + " ,\"x\"", " " + etag}) {
    INFO(header);
    const UiAnswer answer = AnswerUi("/ui/app.js", header);
    CHECK(answer.status == 304);
    CHECK(answer.body.empty());
    CHECK(answer.headers == fresh.headers);
  }
  for (const std::string& header :
       {std::string("W/\"other\""), etag.substr(0, etag.size() - 2) + "\"", opaque.substr(1),
        EtagOf(AnswerUi("/", "").headers), std::string(",")}) {
    INFO(header);
    CHECK(AnswerUi("/ui/app.js", header).status == 200);
  }
}
