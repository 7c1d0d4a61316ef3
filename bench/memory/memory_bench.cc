// Resident bytes per lease and per limit.
//
// Each measurement runs in a child process of its own (a fresh heap): it
// reads VmRSS from /proc/self/status and the heap bytes in use (mallinfo2),
// builds N objects through the engine's public API, reads both again, and
// prints the difference divided by N.
//
//   slotd_memory_bench [--leases N] [--limits N]     (defaults 1000000, 100000)
//
// Output: one line per measurement, "name objects=N rss_bytes_per_object=X
// heap_bytes_per_object=Y", which bench/http/run.sh copies into RESULTS.md.
// RSS counts whole pages touched, heap bytes count malloc'd chunks: the two
// agree within a few percent at these counts.
#include <malloc.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <string>
#include <string_view>

#include "engine/slot_engine.h"

namespace {

long ResidentBytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6) * 1024;
  }
  return -1;
}

long HeapBytesInUse() { return static_cast<long>(mallinfo2().uordblks); }

void Fail(const char* what, slotd::Status status) {
  std::fprintf(stderr, "%s: %s\n", what, slotd::StatusName(status));
  std::exit(1);
}

// Limits named "bench-limit-000042" (18 bytes: past libstdc++'s 15-byte
// small-string buffer, as most real names are) or, short, "lim-000042".
void CreateLimits(slotd::SlotEngine& engine, long count, const char* format) {
  slotd::LimitSnapshot out;
  char name[32];
  for (long i = 0; i < count; ++i) {
    std::snprintf(name, sizeof name, format, i);
    slotd::Status status = engine.CreateLimit({.name = name, .limit = 10}, &out);
    if (status != slotd::Status::kOk) Fail("CreateLimit", status);
  }
}

// Leases of one slot each on one limit, as Prefect's client takes them
// (increment-with-lease, 300 s, optionally with a holder).
void AcquireLeases(slotd::SlotEngine& engine, long count, bool with_holder) {
  slotd::LimitSnapshot limit;
  slotd::Status status = engine.CreateLimit({.name = "bench-lease-limit", .limit = count}, &limit);
  if (status != slotd::Status::kOk) Fail("CreateLimit", status);
  const std::string_view names[] = {"bench-lease-limit"};
  slotd::AcquireRequest request{.names = names, .slots = 1, .lease = slotd::LeaseTerms{}};
  slotd::AcquireOutcome outcome;
  for (long i = 0; i < count; ++i) {
    if (with_holder) {
      request.lease->holder = slotd::Holder{slotd::HolderType::kTaskRun, slotd::NewRandomUuid()};
    }
    status = engine.Acquire(request, &outcome);
    if (status != slotd::Status::kOk) Fail("Acquire", status);
  }
}

// Runs `build` in a child process and prints its cost per object.
void Measure(const char* name, long count, const std::function<void(slotd::SlotEngine&)>& build) {
  std::fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    slotd::SlotEngine engine;
    long rss_before = ResidentBytes();
    long heap_before = HeapBytesInUse();
    build(engine);
    long rss_after = ResidentBytes();
    long heap_after = HeapBytesInUse();
    std::printf("%s objects=%ld rss_bytes_per_object=%.1f heap_bytes_per_object=%.1f\n", name,
                count, static_cast<double>(rss_after - rss_before) / count,
                static_cast<double>(heap_after - heap_before) / count);
    std::fflush(stdout);
    std::_Exit(0);
  }
  int status = 0;
  waitpid(child, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) std::exit(1);
}

}  // namespace

int main(int argc, char** argv) {
  long leases = 1000000, limits = 100000;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--leases") == 0)
      leases = std::atol(argv[i + 1]);
    else if (std::strcmp(argv[i], "--limits") == 0)
      limits = std::atol(argv[i + 1]);
    else {
      std::fprintf(stderr, "usage: %s [--leases N] [--limits N]\n", argv[0]);
      return 2;
    }
  }
  Measure("lease", leases, [&](slotd::SlotEngine& e) { AcquireLeases(e, leases, false); });
  Measure("lease_with_holder", leases,
          [&](slotd::SlotEngine& e) { AcquireLeases(e, leases, true); });
  Measure("limit", limits,
          [&](slotd::SlotEngine& e) { CreateLimits(e, limits, "bench-limit-%06ld"); });
  Measure("limit_short_name", limits,
          [&](slotd::SlotEngine& e) { CreateLimits(e, limits, "lim-%06ld"); });
  return 0;
}
