#include "api/json/writer.h"

#include <date/date.h>

#include <charconv>
#include <cstring>

#include "api/json/python_float_repr.h"
#include "api/json/python_text.h"

namespace slotd::api {
namespace {

// The escape for each byte below 0x20 and for '"' and '\\'; 0 where the byte
// passes through.
constexpr char EscapeLetter(unsigned char c) {
  switch (c) {
    case '"':
      return '"';
    case '\\':
      return '\\';
    case '\n':
      return 'n';
    case '\r':
      return 'r';
    case '\t':
      return 't';
    case '\b':
      return 'b';
    case '\f':
      return 'f';
    default:
      return c < 0x20 ? 'u' : 0;
  }
}

// Writes the last `width` decimal digits of `value` at `at`, zero-padded.
void PutDigits(char* at, unsigned value, int width) {
  for (int i = width - 1; i >= 0; --i, value /= 10) at[i] = static_cast<char>('0' + value % 10);
}

}  // namespace

void AppendJsonString(std::string* out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  size_t run_start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      const int length = Utf8SequenceLength(text.substr(i));
      if (length > 0) {
        i += static_cast<size_t>(length) - 1;
        continue;
      }
      // U+FFFD for each byte that does not start a valid sequence (Python
      // decodes request paths with errors="replace"; request bodies are
      // valid UTF-8 by the time they get here).
      out->append(text.data() + run_start, i - run_start);
      out->append(kReplacementCharacter);
      run_start = i + 1;
      continue;
    }
    const char letter = EscapeLetter(c);
    if (letter == 0) continue;
    out->append(text.data() + run_start, i - run_start);
    run_start = i + 1;
    out->push_back('\\');
    out->push_back(letter);
    if (letter == 'u') {
      out->append("00");
      out->push_back(kHex[c >> 4]);
      out->push_back(kHex[c & 0xf]);
    }
  }
  out->append(text.data() + run_start, text.size() - run_start);
  out->push_back('"');
}

void AppendTimestamp(std::string* out, TimePoint when) {
  const auto day = date::floor<date::days>(when);
  const date::year_month_day ymd{day};
  const date::hh_mm_ss<Micros> time{when - day};
  // Filled in place and appended once: a listing writes two per limit.
  char text[] = "YYYY-MM-DDTHH:MM:SS.ffffffZ";
  PutDigits(text, static_cast<unsigned>(static_cast<int>(ymd.year())), 4);
  PutDigits(text + 5, static_cast<unsigned>(ymd.month()), 2);
  PutDigits(text + 8, static_cast<unsigned>(ymd.day()), 2);
  PutDigits(text + 11, static_cast<unsigned>(time.hours().count()), 2);
  PutDigits(text + 14, static_cast<unsigned>(time.minutes().count()), 2);
  PutDigits(text + 17, static_cast<unsigned>(time.seconds().count()), 2);
  const auto micros = static_cast<unsigned>(time.subseconds().count());
  if (micros == 0) {
    // pydantic writes no fraction for a whole second.
    text[19] = 'Z';
    out->append(text, 20);
    return;
  }
  PutDigits(text + 20, micros, 6);
  out->append(text, sizeof text - 1);
}

JsonWriter& JsonWriter::Key(std::string_view plain_key) {
  // Comma, quotes and colon go out in one append with the key (keys are
  // short field names; a listing writes nine per limit).
  char text[64];
  if (plain_key.size() + 4 > sizeof text) {
    Separate();
    out_->push_back('"');
    out_->append(plain_key);
    out_->append("\":");
  } else {
    size_t n = 0;
    if (need_comma_) text[n++] = ',';
    text[n++] = '"';
    std::memcpy(text + n, plain_key.data(), plain_key.size());
    n += plain_key.size();
    text[n++] = '"';
    text[n++] = ':';
    out_->append(text, n);
  }
  need_comma_ = false;
  return *this;
}

void JsonWriter::EscapedKey(std::string_view key) {
  Separate();
  AppendJsonString(out_, key);
  out_->push_back(':');
  need_comma_ = false;
}

void JsonWriter::String(std::string_view text) {
  Separate();
  AppendJsonString(out_, text);
}

void JsonWriter::Int(int64_t value) {
  Separate();
  char text[24];
  out_->append(text, std::to_chars(text, text + sizeof text, value).ptr);
}

void JsonWriter::Uint(uint64_t value) {
  Separate();
  char text[24];
  out_->append(text, std::to_chars(text, text + sizeof text, value).ptr);
}

void JsonWriter::Double(double value) {
  Separate();
  char text[kPythonFloatBufferSize];
  out_->append(text, FormatPythonFloat(value, text));
}

void JsonWriter::Bool(bool value) {
  Separate();
  out_->append(value ? "true" : "false");
}

void JsonWriter::Null() {
  Separate();
  out_->append("null");
}

void JsonWriter::Uuid(const slotd::Uuid& id) {
  Separate();
  const size_t at = out_->size();
  out_->resize(at + 38);
  (*out_)[at] = '"';
  FormatUuidTo(id, out_->data() + at + 1);
  (*out_)[at + 37] = '"';
}

void JsonWriter::Timestamp(TimePoint when) {
  Separate();
  out_->push_back('"');
  AppendTimestamp(out_, when);
  out_->push_back('"');
}

void JsonWriter::Raw(std::string_view json) {
  Separate();
  out_->append(json);
}

}  // namespace slotd::api
