#include "api/http/request_target.h"

#include <catch2/catch.hpp>
#include <string>

using namespace slotd::api;

TEST_CASE("an origin-form target splits into its path and query", "[target]") {
  const RequestTarget target = ParseRequestTarget("/api/health?a=1&b=2?c");
  CHECK(target.form == TargetForm::kOrigin);
  CHECK(target.origin == "/api/health?a=1&b=2?c");
  CHECK(target.raw_path == "/api/health");
  CHECK(target.raw_query == "a=1&b=2?c");
  CHECK(target.authority.empty());
  CHECK(ParseRequestTarget("/x").raw_query.empty());
  CHECK(ParseRequestTarget("/x?").raw_query.empty());
}

TEST_CASE("an absolute-form http or https target is read from its path on", "[target]") {
  const RequestTarget target = ParseRequestTarget("http://127.0.0.1:4200/api/ready?x=1");
  CHECK(target.form == TargetForm::kAbsolute);
  CHECK(target.authority == "127.0.0.1:4200");
  CHECK(target.origin == "/api/ready?x=1");
  CHECK(target.raw_path == "/api/ready");
  CHECK(target.raw_query == "x=1");
  CHECK(ParseRequestTarget("HTTPS://h/").form == TargetForm::kAbsolute);
  const RequestTarget bare = ParseRequestTarget("http://h?q");
  CHECK(bare.form == TargetForm::kAbsolute);
  CHECK(bare.raw_path.empty());
  CHECK(bare.raw_query == "q");
  CHECK(DecodedPath(bare) == "/");
}

TEST_CASE("a target of no accepted form is invalid", "[target]") {
  for (const char* text : {"", "api/health", "h:80", "ftp://h/x", "http://", "http:///x",
                           "http://user@h/x", "http://h h/x", "http://:80/x", "**", "http:/h/x"}) {
    INFO("target " << text);
    CHECK(ParseRequestTarget(text).form == TargetForm::kInvalid);
  }
  CHECK(ParseRequestTarget("*").form == TargetForm::kAsterisk);
}

TEST_CASE("the path is percent-decoded, keeping escapes that are not two hex digits", "[target]") {
  CHECK(PercentDecode("/a%20b%2Fc", false) == "/a b/c");
  CHECK(PercentDecode("/a%0Ab", false) == "/a\nb");
  CHECK(PercentDecode("/%zz%4", false) == "/%zz%4");
  CHECK(PercentDecode("/%", false) == "/%");
  CHECK(PercentDecode("/%4g", false) == "/%4g");
  CHECK(PercentDecode("/%41", false) == "/A");
  CHECK(PercentDecode("/a+b", false) == "/a+b");
  CHECK(PercentDecode("a+b", true) == "a b");
  CHECK(PercentDecode("/%u0041", false) == "/%u0041");
}

TEST_CASE("a query parameter is the first of its name, decoded", "[target]") {
  CHECK(QueryParameter("client=a%20b&client=c", "client") == "a b");
  CHECK(QueryParameter("x=1&client", "client") == "");
  CHECK(QueryParameter("cli%65nt=v+w", "client") == "v w");
  CHECK(QueryParameter("x=client", "client") == std::nullopt);
  CHECK(QueryParameter("", "client") == std::nullopt);
  CHECK(QueryParameter("&&client=1=2", "client") == "1=2");
}

TEST_CASE("a Host value is a host name or address with an optional port", "[target]") {
  for (const char* host :
       {"", "h", "127.0.0.1", "127.0.0.1:4200", "[::1]", "[::1]:80", "example.com:", "a-b.c_d~e"}) {
    INFO("host " << host);
    CHECK(IsValidHost(host));
  }
  for (const char* host :
       {"a b", "h/x", "u@h", "h:8x", "[::1", "[]", "[::1]x", "h?", "h#", "a\"b", "h:1:2"}) {
    INFO("host " << host);
    CHECK_FALSE(IsValidHost(host));
  }
}
