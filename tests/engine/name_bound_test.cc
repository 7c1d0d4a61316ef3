// The bound on names (EngineOptions::max_name_bytes): every call that stores
// a name refuses a longer one and changes nothing; a longer name is never
// found.
#include "tests/engine/engine_test_support.h"

namespace slotd::test {
namespace {

constexpr size_t kBound = 8;

TestEngine BoundedEngine() {
  TestOptions options;
  options.max_name_bytes = kBound;
  return TestEngine(options);
}

TEST_CASE("a limit named with exactly max_name_bytes bytes is created", "[names]") {
  TestEngine t = BoundedEngine();
  CHECK(t.Create(std::string(kBound, 'a'), 1).name == std::string(kBound, 'a'));
}

TEST_CASE("creating a limit with a name one byte over the bound is NameTooLong", "[names]") {
  TestEngine t = BoundedEngine();
  NewLimit spec;
  spec.name = std::string(kBound + 1, 'a');
  spec.limit = 1;
  LimitSnapshot out;
  CHECK(t.engine().CreateLimit(spec, &out) == Status::kNameTooLong);
  CHECK(t.engine().LimitCount() == 0);
}

TEST_CASE("the bound counts UTF-8 bytes, not characters", "[names]") {
  TestEngine t = BoundedEngine();
  NewLimit spec;
  spec.name = "\u00e9\u00e9\u00e9\u00e9\u00e9";  // five characters, ten bytes
  spec.limit = 1;
  LimitSnapshot out;
  CHECK(t.engine().CreateLimit(spec, &out) == Status::kNameTooLong);
  spec.name = "\u00e9\u00e9\u00e9\u00e9";  // eight bytes
  CHECK(t.engine().CreateLimit(spec, &out) == Status::kOk);
}

TEST_CASE("a too-long name is refused before the name rule is checked", "[names]") {
  TestEngine t = BoundedEngine();
  NewLimit spec;
  spec.name = "a/b/c/d/e";
  spec.limit = 1;
  LimitSnapshot out;
  CHECK(t.engine().CreateLimit(spec, &out) == Status::kNameTooLong);
}

TEST_CASE("renaming a limit to a name over the bound is NameTooLong and changes nothing",
          "[names]") {
  TestEngine t = BoundedEngine();
  t.Create("short", 3);
  LimitPatch patch;
  patch.name = std::string(kBound + 1, 'b');
  patch.limit = 5;
  CHECK(t.engine().UpdateLimit(std::string_view("short"), patch) == Status::kNameTooLong);
  CHECK(t.Read("short").limit == 3);
  patch.name = std::string(kBound, 'b');
  CHECK(t.engine().UpdateLimit(std::string_view("short"), patch) == Status::kOk);
  CHECK(t.Read(std::string(kBound, 'b')).limit == 5);
}

TEST_CASE("a rename over the bound is refused even when the limit does not exist", "[names]") {
  TestEngine t = BoundedEngine();
  LimitPatch patch;
  patch.name = std::string(kBound + 1, 'b');
  CHECK(t.engine().UpdateLimit(std::string_view("absent"), patch) == Status::kNameTooLong);
}

TEST_CASE("a tag upsert counts the tag: prefix against the bound", "[names]") {
  TestEngine t = BoundedEngine();
  const std::string fits(kBound - kTagPrefix.size(), 't');
  LimitSnapshot out;
  bool created = false;
  REQUIRE(t.engine().UpsertTagLimit(fits, 2, &out, &created) == Status::kOk);
  CHECK(created);
  CHECK(out.name == "tag:" + fits);
  CHECK(t.engine().UpsertTagLimit(fits + "t", 2, &out, &created) == Status::kNameTooLong);
  CHECK(t.engine().LimitCount() == 1);
}

TEST_CASE("a name over the bound is never found", "[names]") {
  TestEngine t = BoundedEngine();
  const std::string too_long(kBound + 1, 'a');
  LimitSnapshot out;
  CHECK(t.engine().ReadLimit(std::string_view(too_long), &out) == Status::kNotFound);
  CHECK(t.engine().DeleteLimit(std::string_view(too_long)) == Status::kNotFound);
  LimitPatch patch;
  patch.limit = 1;
  CHECK(t.engine().UpdateLimit(std::string_view(too_long), patch) == Status::kNotFound);
  CHECK(t.engine().ResetTagLimit(too_long, {}) == Status::kNotFound);
}

TEST_CASE("acquiring and releasing by a name over the bound ignore it as unknown", "[names]") {
  TestEngine t = BoundedEngine();
  t.Create("db", 1);
  const std::string too_long(kBound + 1, 'a');
  AcquireOutcome out;
  REQUIRE(t.Acquire({"db", too_long}, 1, &out) == Status::kOk);
  CHECK(NamesOf(out.limits) == std::vector<std::string>{"db"});
  std::vector<LimitRef> released;
  REQUIRE(t.Release({too_long, "db"}, 1, std::nullopt, &released) == Status::kOk);
  CHECK(NamesOf(released) == std::vector<std::string>{"db"});
  TagIncrementOutcome tagged;
  CHECK(t.Increment({too_long}, NewRandomUuid(), &tagged) == Status::kOk);
  CHECK(tagged.limits.empty());
}

TEST_CASE("without a bound set, names of any length are stored", "[names]") {
  TestEngine t;
  const std::string long_name(1 << 16, 'n');
  CHECK(t.Create(long_name, 1).name.size() == long_name.size());
}

}  // namespace
}  // namespace slotd::test
