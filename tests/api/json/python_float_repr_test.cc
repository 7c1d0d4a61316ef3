#include "api/json/python_float_repr.h"

#include <catch2/catch.hpp>
#include <limits>

namespace slotd::api::test {

TEST_CASE("integral floats print with a trailing .0 as Python's repr does", "[python_format]") {
  CHECK(PythonFloat(2.0) == "2.0");
  CHECK(PythonFloat(0.0) == "0.0");
  CHECK(PythonFloat(-0.0) == "-0.0");
  CHECK(PythonFloat(10.0) == "10.0");
  CHECK(PythonFloat(1e15) == "1000000000000000.0");
  CHECK(PythonFloat(123456789.0) == "123456789.0");
}

TEST_CASE("fractional floats print the shortest digits that round-trip", "[python_format]") {
  CHECK(PythonFloat(0.5) == "0.5");
  CHECK(PythonFloat(0.1) == "0.1");
  CHECK(PythonFloat(2.5) == "2.5");
  CHECK(PythonFloat(1.0 / 3.0) == "0.3333333333333333");
  CHECK(PythonFloat(12.345678901234567) == "12.345678901234567");
  CHECK(PythonFloat(0.0001) == "0.0001");
  CHECK(PythonFloat(-1.25) == "-1.25");
}

TEST_CASE("very small and very large floats switch to exponent notation", "[python_format]") {
  CHECK(PythonFloat(1e-05) == "1e-05");
  CHECK(PythonFloat(1.5e-07) == "1.5e-07");
  CHECK(PythonFloat(1e16) == "1e+16");
  CHECK(PythonFloat(1.5e16) == "1.5e+16");
  CHECK(PythonFloat(1e100) == "1e+100");
  CHECK(PythonFloat(5e-324) == "5e-324");
  CHECK(PythonFloat(1.7976931348623157e308) == "1.7976931348623157e+308");
}

TEST_CASE("non-finite floats print as Python names them", "[python_format]") {
  CHECK(PythonFloat(std::numeric_limits<double>::infinity()) == "inf");
  CHECK(PythonFloat(-std::numeric_limits<double>::infinity()) == "-inf");
  CHECK(PythonFloat(std::numeric_limits<double>::quiet_NaN()) == "nan");
}

namespace {
std::string Repr(std::string_view text) {
  std::string out;
  AppendPythonStringRepr(&out, text);
  return out;
}
}  // namespace

TEST_CASE("a string's repr uses single quotes unless it holds only single quotes",
          "[python_format]") {
  CHECK(Repr("a,b") == "'a,b'");
  CHECK(Repr("it's") == "\"it's\"");
  CHECK(Repr("both ' and \"") == "'both \\' and \"'");
  CHECK(Repr("") == "''");
}

TEST_CASE("a string's repr escapes backslashes and control characters", "[python_format]") {
  CHECK(Repr("a\\b") == "'a\\\\b'");
  CHECK(Repr("line\nnext\ttab\r") == "'line\\nnext\\ttab\\r'");
  CHECK(Repr(std::string_view("\x01\x7f", 2)) == "'\\x01\\x7f'");
  CHECK(Repr("caf\xc3\xa9") == "'caf\xc3\xa9'");
  CHECK(Repr("nb\xc2\xa0sp") == "'nb\\xa0sp'");
  CHECK(Repr("ls\xe2\x80\xa8") == "'ls\\u2028'");
}

}  // namespace slotd::api::test
