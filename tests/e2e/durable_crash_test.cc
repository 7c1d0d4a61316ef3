// --data-dir across crashes and damage (issue 14), with a real slotd on real
// files: every change answered 2xx before a kill -9 is there after the
// restart (--fsync always), the invariants hold (never above a limit, the
// counters equal the leases held), one data dir serves one process, and a
// damaged data dir is cut (a torn tail) or refused by name (anything else)
// unless --recover-to-damage.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "e2e_support.h"
#include "slotd_process.h"

namespace slotd::e2e {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// A fresh folder under /tmp, removed at the end.
class TempDir {
 public:
  TempDir() {
    char pattern[] = "/tmp/slotd-data-XXXXXX";
    REQUIRE(mkdtemp(pattern) != nullptr);
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

ServerOptions DataDirOptions(const std::string& dir, std::vector<std::string> more = {}) {
  std::vector<std::string> args{"--data-dir", dir, "--fsync", "always"};
  args.insert(args.end(), more.begin(), more.end());
  ServerOptions options = WithArgs(std::move(args));
  return options;
}

// How a slotd that is expected not to start ended: its exit code (-1 when
// a signal ended it) and its stderr.
struct StartFailure {
  int code = 0;
  std::string stderr_text;
};

// Runs slotd with `args` until it exits (it must, within 20 s: it is
// expected to refuse to start).
StartFailure RunExpectingExit(const std::vector<std::string>& args) {
  char pattern[] = "/tmp/slotd-stderr-XXXXXX";
  const int err_fd = mkstemp(pattern);
  REQUIRE(err_fd >= 0);
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    dup2(err_fd, STDERR_FILENO);
    const int null_fd = open("/dev/null", O_WRONLY);
    dup2(null_fd, STDOUT_FILENO);
    std::vector<std::string> full{SlotdBinary(), "--port", "0"};
    full.insert(full.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (std::string& arg : full) argv.push_back(arg.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(err_fd);
  int status = 0;
  const auto deadline = Clock::now() + std::chrono::seconds(20);
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (Clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      FAIL_CHECK("slotd kept running where it was expected to refuse to start");
      break;
    }
    std::this_thread::sleep_for(milliseconds(10));
  }
  std::ifstream in(pattern);
  StartFailure failure{WIFEXITED(status) ? WEXITSTATUS(status) : -1,
                       std::string(std::istreambuf_iterator<char>(in), {})};
  unlink(pattern);
  return failure;
}

std::string JournalFile(const std::string& dir, uint64_t number) {
  char name[64];
  std::snprintf(name, sizeof name, "journal-%020llu.log", static_cast<unsigned long long>(number));
  return dir + "/" + name;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

// Where each record of a journal starts (after its 16-byte header), from
// the frames' length fields.
std::vector<size_t> RecordOffsets(const std::string& journal) {
  std::vector<size_t> offsets;
  size_t at = 16;
  while (at + 8 <= journal.size()) {
    offsets.push_back(at);
    const auto* p = reinterpret_cast<const unsigned char*>(journal.data() + at);
    const size_t length = p[0] | p[1] << 8 | p[2] << 16 | static_cast<size_t>(p[3]) << 24;
    at += 8 + length;
  }
  return offsets;
}

httplib::Result AcquireLease(httplib::Client& cli, const std::string& name) {
  return PostJson(
      cli, "/api/v2/concurrency_limits/increment-with-lease",
      R"({"names":[")" + name + R"("],"slots":1,"mode":"concurrency","lease_duration":3600})");
}

// What one load thread knows of the changes it asked for: those answered
// 2xx, and those whose answer never came (the kill cut them), which may or
// may not have happened.
struct Book {
  std::set<std::string> live_leases;      // acquired, answered
  std::set<std::string> released_leases;  // released, answered
  std::set<std::string> unsure_leases;    // release asked, not answered
  int unsure_acquires = 0;                // acquisitions not answered (their id is unknown)
  std::set<std::string> holders;          // v1 task runs holding the tag, answered
  std::set<std::string> removed_holders;  // v1 task runs released, answered
  std::set<std::string> unsure_holders;
  std::set<std::string> limits;  // created, answered
  std::set<std::string> deleted_limits;
  std::set<std::string> unsure_limits;
  // An answer the load did not expect (Catch2's assertions are for the
  // test's own thread, so the load threads leave it here).
  std::string unexpected;
};

// Records an unexpected status on `book`; true if there was one.
bool Unexpected(Book* book, const httplib::Result& res, std::initializer_list<int> expected,
                const char* what) {
  for (int status : expected) {
    if (res->status == status) return false;
  }
  book->unexpected =
      std::string(what) + " answered " + std::to_string(res->status) + ": " + res->body;
  return true;
}

constexpr int kSharedLimit = 8;
constexpr const char* kShared = "crash-shared";
constexpr const char* kTag = "crash-v1";

// A load thread's client: keep-alive, and quick to fail once the server is
// killed.
void SetUpLoadClient(httplib::Client& cli) {
  cli.set_keep_alive(true);
  cli.set_connection_timeout(1, 0);
  cli.set_read_timeout(5, 0);
}

// Leases on the shared limit until the first request without an answer.
void LeaseLoad(int port, unsigned seed, Book* book) {
  httplib::Client cli("127.0.0.1", port);
  SetUpLoadClient(cli);
  std::mt19937 random(seed);
  for (;;) {
    if (!book->live_leases.empty() && random() % 2 == 0) {
      auto it = book->live_leases.begin();
      std::advance(it, random() % book->live_leases.size());
      const std::string id = *it;
      book->live_leases.erase(it);
      auto res = PostJson(cli, "/api/v2/concurrency_limits/decrement-with-lease",
                          R"({"lease_id":")" + id + R"("})");
      if (!res) {
        book->unsure_leases.insert(id);
        return;
      }
      if (Unexpected(book, res, {204}, "a lease release")) return;
      book->released_leases.insert(id);
    } else {
      auto res = AcquireLease(cli, kShared);
      if (!res) {
        ++book->unsure_acquires;
        return;
      }
      if (Unexpected(book, res, {200, 423}, "a lease acquisition")) return;
      if (res->status == 200) book->live_leases.insert(Unquoted(Field(res->body, "lease_id")));
    }
  }
}

// v1 task runs taking and giving back the tag.
void TagLoad(int port, unsigned seed, Book* book) {
  httplib::Client cli("127.0.0.1", port);
  SetUpLoadClient(cli);
  std::mt19937 random(seed);
  for (;;) {
    if (!book->holders.empty() && random() % 2 == 0) {
      const std::string run = *book->holders.begin();
      book->holders.erase(book->holders.begin());
      auto res = V1Decrement(cli, std::string(R"([")") + kTag + R"("])", run);
      if (!res) {
        book->unsure_holders.insert(run);
        return;
      }
      if (Unexpected(book, res, {200}, "a v1 decrement")) return;
      book->removed_holders.insert(run);
    } else {
      const std::string run = NewUuid();
      auto res = V1Increment(cli, std::string(R"([")") + kTag + R"("])", run);
      if (!res) {
        book->unsure_holders.insert(run);
        return;
      }
      if (Unexpected(book, res, {200}, "a v1 increment")) return;
      book->holders.insert(run);
    }
  }
}

// Limits created and deleted.
void LimitLoad(int port, unsigned seed, Book* book, int* next_name) {
  httplib::Client cli("127.0.0.1", port);
  SetUpLoadClient(cli);
  std::mt19937 random(seed);
  for (;;) {
    if (!book->limits.empty() && random() % 3 == 0) {
      const std::string name = *book->limits.begin();
      book->limits.erase(book->limits.begin());
      auto res = cli.Delete("/api/v2/concurrency_limits/" + name);
      if (!res) {
        book->unsure_limits.insert(name);
        return;
      }
      if (Unexpected(book, res, {204}, "a limit deletion")) return;
      book->deleted_limits.insert(name);
    } else {
      const std::string name = "crash-limit-" + std::to_string((*next_name)++);
      auto res =
          PostJson(cli, "/api/v2/concurrency_limits/", R"({"name":")" + name + R"(","limit":3})");
      if (!res) {
        book->unsure_limits.insert(name);
        return;
      }
      if (Unexpected(book, res, {201}, "a limit creation")) return;
      book->limits.insert(name);
    }
  }
}

bool LeaseExists(httplib::Client& cli, const std::string& id) {
  auto res = PostJson(cli, "/api/v2/concurrency_limits/leases/" + id + "/renew",
                      R"({"lease_duration":3600})");
  RequireAnswer(res);
  REQUIRE((res->status == 204 || res->status == 410));
  return res->status == 204;
}

std::set<std::string> TagHolderSet(httplib::Client& cli) {
  const std::vector<std::string> holders = TagHolders(cli, kTag);
  return {holders.begin(), holders.end()};
}

// Checks what the restarted server holds against the books, settles what
// was unsure, and moves the books on. `orphans`: leases acquired whose
// answer never came, so whose id is unknown (they stay held: an hour).
void Verify(httplib::Client& cli, std::vector<Book>& lease_books, Book& tag_book, Book& limit_book,
            int* orphans) {
  size_t live = 0;
  int unsure_acquires = 0;
  for (Book& book : lease_books) {
    for (const std::string& id : book.live_leases) CHECK(LeaseExists(cli, id));
    for (const std::string& id : book.released_leases) CHECK_FALSE(LeaseExists(cli, id));
    for (const std::string& id : book.unsure_leases) {
      (LeaseExists(cli, id) ? book.live_leases : book.released_leases).insert(id);
    }
    book.unsure_leases.clear();
    book.released_leases.clear();  // checked once; their ids never come back
    live += book.live_leases.size();
    unsure_acquires += book.unsure_acquires;
    book.unsure_acquires = 0;
  }
  // The counter equals the leases held: the known ones, the orphans of
  // earlier kills, and at most one per thread cut this time.
  const int64_t active = ActiveSlots(cli, kShared);
  INFO("active " << active << ", live " << live << ", orphans " << *orphans);
  CHECK(active <= kSharedLimit);
  CHECK(active >= static_cast<int64_t>(live) + *orphans);
  CHECK(active <= static_cast<int64_t>(live) + *orphans + unsure_acquires);
  *orphans = static_cast<int>(active - static_cast<int64_t>(live));

  const std::set<std::string> held = TagHolderSet(cli);
  for (const std::string& run : tag_book.holders) CHECK(held.count(run) == 1);
  for (const std::string& run : tag_book.removed_holders) CHECK(held.count(run) == 0);
  for (const std::string& run : held) {
    CHECK((tag_book.holders.count(run) + tag_book.unsure_holders.count(run)) == 1);
  }
  for (const std::string& run : tag_book.unsure_holders) {
    if (held.count(run) == 1) tag_book.holders.insert(run);
  }
  tag_book.unsure_holders.clear();
  tag_book.removed_holders.clear();

  for (const std::string& name : limit_book.limits) {
    CHECK(cli.Get("/api/v2/concurrency_limits/" + name)->status == 200);
  }
  for (const std::string& name : limit_book.deleted_limits) {
    CHECK(cli.Get("/api/v2/concurrency_limits/" + name)->status == 404);
  }
  for (const std::string& name : limit_book.unsure_limits) {
    auto res = cli.Get("/api/v2/concurrency_limits/" + name);
    RequireAnswer(res);
    if (res->status == 200) limit_book.limits.insert(name);
  }
  limit_book.unsure_limits.clear();
  limit_book.deleted_limits.clear();
}

TEST_CASE("every change answered before a kill -9 is there after the restart (--fsync always)",
          "[durable]") {
  TempDir dir;
  {
    SlotdProcess server(DataDirOptions(dir.path()));
    auto cli = server.client();
    CreateV2Limit(*cli, kShared, kSharedLimit);
    CreateTagLimit(*cli, kTag, 1'000'000);
    server.stop(SIGKILL);
  }
  std::vector<Book> lease_books(3);
  Book tag_book;
  Book limit_book;
  int orphans = 0;
  int next_name = 0;
  std::mt19937 random(20261202);
  constexpr int kKills = 50;
  for (int kill = 0; kill < kKills; ++kill) {
    SlotdProcess server(DataDirOptions(dir.path()));
    auto cli = server.client();
    {
      INFO("after kill " << kill);
      Verify(*cli, lease_books, tag_book, limit_book, &orphans);
    }
    std::vector<std::thread> load;
    for (size_t i = 0; i < lease_books.size(); ++i) {
      load.emplace_back(LeaseLoad, server.port(), random(), &lease_books[i]);
    }
    load.emplace_back(TagLoad, server.port(), random(), &tag_book);
    load.emplace_back(LimitLoad, server.port(), random(), &limit_book, &next_name);
    // Killed at a random moment of the load, answers in flight.
    std::this_thread::sleep_for(milliseconds(20 + random() % 100));
    server.stop(SIGKILL);
    for (std::thread& thread : load) thread.join();
    std::vector<const Book*> books{&tag_book, &limit_book};
    for (const Book& book : lease_books) books.push_back(&book);
    for (const Book* book : books) REQUIRE(book->unexpected == "");
  }
  SlotdProcess server(DataDirOptions(dir.path()));
  auto cli = server.client();
  INFO("after the last kill");
  Verify(*cli, lease_books, tag_book, limit_book, &orphans);
  size_t answered = tag_book.holders.size() + limit_book.limits.size();
  for (const Book& book : lease_books) answered += book.live_leases.size();
  WARN(kKills << " kills; held at the end: " << answered << " leases, tag holders and limits");
}

TEST_CASE("a second slotd on the same data dir refuses to start", "[durable]") {
  TempDir dir;
  SlotdProcess first(DataDirOptions(dir.path()));
  const StartFailure second = RunExpectingExit({"--data-dir", dir.path()});
  CHECK(second.code != 0);
  CHECK(second.stderr_text.find(dir.path() + ": in use by another slotd") != std::string::npos);
  RequireStatus(first.client()->Get("/api/health"), 200);
}

// A data dir with a journal of a few limits, written by a slotd stopped
// cleanly. Returns the journal's bytes.
std::string JournalOfLimits(const std::string& dir, int count) {
  SlotdProcess server(DataDirOptions(dir));
  auto cli = server.client();
  for (int i = 0; i < count; ++i) CreateV2Limit(*cli, "damage-" + std::to_string(i), 1);
  server.stop();
  return ReadFile(JournalFile(dir, 1));
}

std::vector<std::string> LimitNames(httplib::Client& cli) {
  auto res = PostJson(cli, "/api/v2/concurrency_limits/filter", "{}");
  RequireStatus(res, 200);
  return Sorted(Names(res->body));
}

TEST_CASE("a torn last record is cut at start, with a log line, and the rest is kept",
          "[durable]") {
  TempDir dir;
  const std::string journal = JournalOfLimits(dir.path(), 3);
  const std::vector<size_t> records = RecordOffsets(journal);
  REQUIRE(records.size() == 3);
  // The crash came while the third record was being written.
  WriteFile(JournalFile(dir.path(), 1), journal.substr(0, records[2] + 5));
  SlotdProcess server(WithArgs({"--data-dir", dir.path()}));
  auto cli = server.client();
  CHECK(LimitNames(*cli) == std::vector<std::string>{"damage-0", "damage-1"});
  CHECK(server.stderr_text().find("cut a torn record at offset " + std::to_string(records[2])) !=
        std::string::npos);
  // New changes go after the cut, and survive the next restart.
  CreateV2Limit(*cli, "after-cut", 1);
  server.stop();
  SlotdProcess again(WithArgs({"--data-dir", dir.path()}));
  CHECK(LimitNames(*again.client()) ==
        std::vector<std::string>{"after-cut", "damage-0", "damage-1"});
}

TEST_CASE("zeros after the last record (space allocated, never written) are cut at start",
          "[durable]") {
  TempDir dir;
  const std::string journal = JournalOfLimits(dir.path(), 3);
  WriteFile(JournalFile(dir.path(), 1), journal + std::string(4096, '\0'));
  SlotdProcess server(WithArgs({"--data-dir", dir.path()}));
  CHECK(LimitNames(*server.client()) ==
        std::vector<std::string>{"damage-0", "damage-1", "damage-2"});
  CHECK(server.stderr_text().find("cut a torn record at offset " +
                                  std::to_string(journal.size())) != std::string::npos);
}

TEST_CASE(
    "a bad record in the middle refuses to start, naming the file and offset, unless "
    "--recover-to-damage",
    "[durable]") {
  TempDir dir;
  std::string journal = JournalOfLimits(dir.path(), 3);
  const std::vector<size_t> records = RecordOffsets(journal);
  REQUIRE(records.size() == 3);
  journal[records[1] + 12] ^= 0x10;  // a bit of the second record's payload
  WriteFile(JournalFile(dir.path(), 1), journal);
  const StartFailure refused = RunExpectingExit({"--data-dir", dir.path()});
  CHECK(refused.code != 0);
  INFO(refused.stderr_text);
  CHECK(refused.stderr_text.find(JournalFile(dir.path(), 1) + ": bad record at offset " +
                                 std::to_string(records[1])) != std::string::npos);
  CHECK(refused.stderr_text.find("--recover-to-damage") != std::string::npos);
  // The refusal changed nothing: the damage is still there.
  CHECK(ReadFile(JournalFile(dir.path(), 1)) == journal);

  SlotdProcess server(WithArgs({"--data-dir", dir.path(), "--recover-to-damage"}));
  CHECK(LimitNames(*server.client()) == std::vector<std::string>{"damage-0"});
  CHECK(server.stderr_text().find("keeping every record before it") != std::string::npos);
}

TEST_CASE(
    "a truncated snapshot falls back to the one before it, and with no snapshot or journal "
    "to rebuild from slotd refuses to start",
    "[durable]") {
  TempDir dir;
  // A small compaction threshold: the journal is compacted into snapshots as
  // limits are created.
  {
    SlotdProcess server(DataDirOptions(dir.path(), {"--snapshot-journal-bytes", "4096"}));
    auto cli = server.client();
    for (int i = 0; i < 60; ++i) CreateV2Limit(*cli, "compacted-" + std::to_string(i), 1);
    // Compaction runs in the background: wait (bounded) for a snapshot.
    const auto deadline = Clock::now() + std::chrono::seconds(20);
    bool snapshot = false;
    while (!snapshot && Clock::now() < deadline) {
      for (const auto& entry : fs::directory_iterator(dir.path())) {
        snapshot = snapshot || entry.path().extension() == ".snap";
      }
      std::this_thread::sleep_for(milliseconds(20));
    }
    REQUIRE(snapshot);
    server.stop();
  }
  std::vector<std::string> snapshots;
  std::vector<std::string> journals;
  for (const auto& entry : fs::directory_iterator(dir.path())) {
    if (entry.path().extension() == ".snap") snapshots.push_back(entry.path());
    if (entry.path().extension() == ".log") journals.push_back(entry.path());
  }
  std::sort(snapshots.begin(), snapshots.end());
  std::sort(journals.begin(), journals.end());
  INFO(snapshots.size() << " snapshots, " << journals.size() << " journals");
  {
    SlotdProcess intact(WithArgs({"--data-dir", dir.path()}));
    CHECK(LimitNames(*intact.client()).size() == 60);
  }
  // slotd keeps the snapshot before the newest and the journals after it.
  REQUIRE(snapshots.size() == 2);
  REQUIRE(journals.size() == 2);
  // The newest snapshot cut short: it is ignored with a log line, and the
  // older one with its journals gives every limit back.
  const std::string newest = snapshots.back();
  const std::string whole = ReadFile(newest);
  WriteFile(newest, whole.substr(0, whole.size() / 2));
  {
    SlotdProcess fallback(WithArgs({"--data-dir", dir.path()}));
    CHECK(LimitNames(*fallback.client()).size() == 60);
    CHECK(fallback.stderr_text().find(newest + ": ignoring this snapshot") != std::string::npos);
  }
  // Both cut short: the journals they replaced are gone, so slotd will not
  // start from what is left and lose limits silently.
  const std::string older = snapshots.front();
  const std::string older_whole = ReadFile(older);
  WriteFile(older, older_whole.substr(0, older_whole.size() - 3));
  const StartFailure no_snapshot = RunExpectingExit({"--data-dir", dir.path()});
  {
    INFO(no_snapshot.stderr_text);
    CHECK(no_snapshot.code != 0);
    CHECK(no_snapshot.stderr_text.find(JournalFile(dir.path(), 1) +
                                       ": bad record at offset 0 (missing") != std::string::npos);
  }
  WriteFile(older, older_whole);
  WriteFile(newest, whole);
  // The journal that follows the newest snapshot removed.
  const std::string gone = journals.back();
  const std::string kept = ReadFile(gone);
  fs::remove(gone);
  const StartFailure missing = RunExpectingExit({"--data-dir", dir.path()});
  {
    INFO(missing.stderr_text);
    CHECK(missing.code != 0);
    CHECK(missing.stderr_text.find(gone + ": bad record at offset 0 (missing") !=
          std::string::npos);
  }
  WriteFile(gone, kept);
  SlotdProcess restored(WithArgs({"--data-dir", dir.path()}));
  CHECK(LimitNames(*restored.client()).size() == 60);
}

}  // namespace
}  // namespace slotd::e2e
