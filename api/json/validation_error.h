// Request validation errors in the shape FastAPI and pydantic v2 report them,
// and the 422 body that carries them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace slotd::api {

// One step of an error location: a field name or a list index. Names are
// string literals or views into the request (both outlive the response).
using LocPart = std::variant<std::string_view, int64_t>;

// A location built on the stack while a parser descends into a body: each
// node points at its parent, so nothing is allocated unless an error is
// recorded. The root is e.g. {nullptr, "body"}.
struct LocNode {
  const LocNode* parent;
  LocPart part;
};

struct ValidationError {
  std::vector<LocPart> loc;
  std::string msg;
  std::string_view type;  // pydantic's error type, e.g. "missing"
  std::string input;      // the offending input, rendered as JSON
  std::string ctx;        // a rendered JSON object, or empty for none
};

using ValidationErrors = std::vector<ValidationError>;

// A 422 lists at most this many errors, the first ones found; validation
// stops reading a list once they are found. Deviation (README): pydantic
// lists every error, so Prefect answers a 1 MB list of bad items with a
// 100 MB body.
inline constexpr size_t kMaxReportedErrors = 100;

std::vector<LocPart> LocPath(const LocNode& node);

// A bound of a numeric constraint as pydantic prints it: in the message as
// Rust formats the number ("0"), in ctx as Python's JSON does ("0.0").
struct Bound {
  std::string_view message_text;
  std::string_view ctx_json;
};

// Builders for each error kind, with pydantic's type, message and ctx.
// `input_json` is the offending value already rendered as JSON.
ValidationError MissingError(const LocNode& loc, std::string input_json);
ValidationError ExtraForbiddenError(const LocNode& loc, std::string input_json);
ValidationError TypeError(const LocNode& loc, std::string_view type, std::string input_json);
ValidationError BoundError(const LocNode& loc, std::string_view type, const Bound& bound,
                           std::string input_json);
ValidationError TooShortError(const LocNode& loc, std::string input_json);
// string_too_long, as pydantic words it for a max_length constraint (it says
// characters; slotd's bound counts bytes).
ValidationError StringTooLongError(const LocNode& loc, size_t max_length, std::string input_json);
// A Prefect DateTime that does not parse: for a string, pendulum's message
// ("Value error, Unable to parse string [<text>]", ctx {"error":{}}, the
// exception as FastAPI encodes it); for any other value, "value is not a
// valid datetime".
ValidationError DateTimeError(const LocNode& loc, const std::string_view* text,
                              std::string input_json);
ValidationError PatternError(const LocNode& loc, std::string_view pattern, std::string input_json);
ValidationError LiteralError(const LocNode& loc, std::string_view expected, std::string input_json);
// A body that should be a list (FastAPI's Sequence[...] parameter) and is not.
ValidationError NotASequenceError(const LocNode& loc, std::string input_json);
ValidationError EnumError(const LocNode& loc, std::string_view expected, std::string input_json);
ValidationError UuidParsingError(const LocNode& loc, std::string_view reason,
                                 std::string input_json);
// Malformed JSON: loc ["body", offset], input {}, ctx {"error": reason}.
ValidationError JsonInvalidError(int64_t offset, std::string_view reason);

// Error types whose message is fixed (TypeError accepts these).
inline constexpr std::string_view kIntType = "int_type";
inline constexpr std::string_view kIntFromFloat = "int_from_float";
inline constexpr std::string_view kFloatType = "float_type";
inline constexpr std::string_view kBoolType = "bool_type";
inline constexpr std::string_view kStringType = "string_type";
inline constexpr std::string_view kListType = "list_type";
inline constexpr std::string_view kUuidType = "uuid_type";
inline constexpr std::string_view kModelAttributesType = "model_attributes_type";
inline constexpr std::string_view kFiniteNumber = "finite_number";
inline constexpr std::string_view kIntParsing = "int_parsing";
inline constexpr std::string_view kFloatParsing = "float_parsing";
inline constexpr std::string_view kBoolParsing = "bool_parsing";

// Bound error types (BoundError accepts these).
inline constexpr std::string_view kGreaterThan = "greater_than";
inline constexpr std::string_view kGreaterThanEqual = "greater_than_equal";
inline constexpr std::string_view kLessThanEqual = "less_than_equal";

// The 422 body, exactly as Prefect's validation_exception_handler writes it:
// {"exception_message":"Invalid request received.","exception_detail":[...],
// "request_body":...}, each error's keys in pydantic's order (type, loc,
// msg, input, ctx). `request_body_json` is the
// body as parsed, the raw text as a JSON string, or "null".
std::string ValidationErrorBody(const ValidationErrors& errors, std::string_view request_body_json);

}  // namespace slotd::api
