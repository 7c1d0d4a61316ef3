// --data-dir on a disk that fails: a small tmpfs mounted by the test and
// filled up (as root; without the right to mount, the test says so and
// skips), or a file-size limit put on the running slotd (prlimit
// RLIMIT_FSIZE: its writes past the journal's size fail with EFBIG). The
// changing calls answer 503 with the data-dir detail and the log says why,
// reads keep working, a refused call changes nothing, and once the disk
// heals slotd accepts changes again by itself.
//
// What every answer said matches what a restart finds: with --fsync always
// a request whose change the failing write held is answered only once that
// is settled, 200 once a retry writes it, 503 once a stop has cut it off the
// journal. So after the restart the counter is the start plus exactly the
// increments answered 200, whether the disk healed, slotd was stopped on the
// failing disk, or killed -9 on it.
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "e2e_support.h"
#include "slotd_process.h"

namespace slotd::e2e {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::string_view kDiskDetail =
    "The data dir cannot be written (see the server log): changes are refused until it can be "
    "again, and reads still work.";
constexpr std::string_view kIncrement = R"({"names":["disk"],"slots":1,"mode":"concurrency"})";

// A tmpfs of `bytes` mounted on a new temporary folder, unmounted (and the
// folder removed) at the end. mounted() is false, with why(), where it
// cannot be mounted.
class SmallTmpfs {
 public:
  explicit SmallTmpfs(size_t bytes) {
    char pattern[] = "/tmp/slotd-disk-XXXXXX";
    if (mkdtemp(pattern) == nullptr) {
      why_ = std::string("mkdtemp: ") + std::strerror(errno);
      return;
    }
    path_ = pattern;
    const std::string data = "size=" + std::to_string(bytes) + ",mode=0700";
    if (mount("tmpfs", path_.c_str(), "tmpfs", 0, data.c_str()) != 0) {
      why_ = "cannot mount a tmpfs on " + path_ + " (" + std::strerror(errno) +
             "; the test needs root, or CAP_SYS_ADMIN)";
      return;
    }
    mounted_ = true;
  }
  ~SmallTmpfs() {
    if (mounted_) umount2(path_.c_str(), MNT_DETACH);
    if (!path_.empty()) rmdir(path_.c_str());
  }
  SmallTmpfs(const SmallTmpfs&) = delete;
  SmallTmpfs& operator=(const SmallTmpfs&) = delete;

  bool mounted() const { return mounted_; }
  const std::string& why() const { return why_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::string why_;
  bool mounted_ = false;
};

// Writes `path` until the file system is full; returns the bytes written.
size_t FillUp(const std::string& path) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  REQUIRE(fd >= 0);
  const std::string block(4096, 'x');
  size_t total = 0;
  for (;;) {
    const ssize_t n = write(fd, block.data(), block.size());
    if (n <= 0) break;
    total += static_cast<size_t>(n);
  }
  const int err = errno;
  close(fd);
  CHECK(err == ENOSPC);
  return total;
}

// How the test makes the disk fail, and heal.
enum class Fault { kFullTmpfs, kFileSizeLimit };

const char* FaultName(Fault fault) {
  return fault == Fault::kFullTmpfs ? "a full tmpfs" : "a file-size limit (RLIMIT_FSIZE)";
}

// The data dir's disk: a small tmpfs to fill, or a folder under /tmp whose
// slotd gets a file-size limit.
class FailingDisk {
 public:
  explicit FailingDisk(Fault fault) : fault_(fault) {
    if (fault == Fault::kFullTmpfs) {
      tmpfs_ = std::make_unique<SmallTmpfs>(1 << 20);
      if (!tmpfs_->mounted()) {
        why_ = tmpfs_->why();
        return;
      }
      data_dir_ = tmpfs_->path() + "/data";
    } else {
      char pattern[] = "/tmp/slotd-fsize-XXXXXX";
      REQUIRE(mkdtemp(pattern) != nullptr);
      folder_ = pattern;
      data_dir_ = folder_ + "/data";
    }
    usable_ = true;
  }
  ~FailingDisk() {
    if (!folder_.empty()) {
      std::error_code ignored;
      std::filesystem::remove_all(folder_, ignored);
    }
  }
  FailingDisk(const FailingDisk&) = delete;
  FailingDisk& operator=(const FailingDisk&) = delete;

  bool usable() const { return usable_; }
  const std::string& why() const { return why_; }
  const std::string& data_dir() const { return data_dir_; }
  // The errno text the log names.
  const char* error_text() const {
    return fault_ == Fault::kFullTmpfs ? "No space left on device" : "File too large";
  }

  // From now on the journal of `pid` cannot grow.
  void Fail(pid_t pid) {
    if (fault_ == Fault::kFullTmpfs) {
      (void)FillUp(tmpfs_->path() + "/filler");
      return;
    }
    // The limit is the journal's size now: its next write fails (past the
    // limit; a write across it is cut short there, then fails).
    uint64_t size = 0;
    for (const auto& entry : std::filesystem::directory_iterator(data_dir_)) {
      if (entry.path().extension() == ".log") size = std::max<uint64_t>(size, entry.file_size());
    }
    REQUIRE(size > 0);
    const rlimit limit{static_cast<rlim_t>(size), RLIM_INFINITY};
    REQUIRE(prlimit(pid, RLIMIT_FSIZE, &limit, nullptr) == 0);
  }
  void Heal(pid_t pid) {
    if (fault_ == Fault::kFullTmpfs) {
      REQUIRE(unlink((tmpfs_->path() + "/filler").c_str()) == 0);
      return;
    }
    const rlimit limit{RLIM_INFINITY, RLIM_INFINITY};
    REQUIRE(prlimit(pid, RLIMIT_FSIZE, &limit, nullptr) == 0);
  }
  // Before a restart: the limit went with the process, the filler must go.
  void HealForRestart() {
    if (fault_ == Fault::kFullTmpfs) unlink((tmpfs_->path() + "/filler").c_str());
  }

 private:
  Fault fault_;
  std::unique_ptr<SmallTmpfs> tmpfs_;
  std::string folder_;
  std::string data_dir_;
  std::string why_;
  bool usable_ = false;
};

// Threads sending increments, each on its own keep-alive connection, until
// told to stop; they count what came back. Catch2's assertions stay on the
// test's thread: anything unexpected is left in `unexpected`.
class IncrementLoad {
 public:
  struct Slot {
    std::atomic<int64_t> waiting_since{0};
    std::atomic<int> ok{0};
    std::atomic<int> refused{0};     // 503 with the data-dir detail
    std::atomic<int> unanswered{0};  // no answer (the connection closed)
    std::string unexpected;
  };
  IncrementLoad(int port, int threads) {
    for (int i = 0; i < threads; ++i) {
      slots_.emplace_back(std::make_unique<Slot>());
      threads_.emplace_back([this, port, slot = slots_.back().get()] { Run(port, slot); });
    }
  }
  ~IncrementLoad() { Join(); }

  void Join() {
    stop_ = true;
    for (std::thread& thread : threads_) {
      if (thread.joinable()) thread.join();
    }
  }
  // Asks the threads to send no more; their requests in flight go on.
  void StopSending() { stop_ = true; }

  // Threads whose request has been waiting for its answer at least `age`.
  int HeldFor(std::chrono::milliseconds age) const {
    const int64_t now = Clock::now().time_since_epoch().count();
    int held = 0;
    for (const auto& slot : slots_) {
      const int64_t since = slot->waiting_since.load();
      if (since != 0 && now - since >= std::chrono::nanoseconds(age).count()) ++held;
    }
    return held;
  }

  int Sum(std::atomic<int> Slot::*field) const;
  int ok() const { return Sum(&Slot::ok); }
  int refused() const { return Sum(&Slot::refused); }
  int unanswered() const { return Sum(&Slot::unanswered); }
  std::string unexpected() const {
    std::string all;
    for (const auto& slot : slots_) all += slot->unexpected;
    return all;
  }

 private:
  void Run(int port, Slot* slot) {
    httplib::Client cli("127.0.0.1", port);
    cli.set_keep_alive(true);
    cli.set_connection_timeout(1, 0);
    // Longer than any hold in these tests: a held answer must come.
    cli.set_read_timeout(30, 0);
    while (!stop_) {
      slot->waiting_since = Clock::now().time_since_epoch().count();
      auto res = PostJson(cli, "/api/v2/concurrency_limits/increment", std::string(kIncrement));
      slot->waiting_since = 0;
      if (!res) {
        ++slot->unanswered;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        continue;
      }
      if (res->status == 200) {
        ++slot->ok;
      } else if (res->status == 503 &&
                 res->body.find(std::string(kDiskDetail)) != std::string::npos) {
        ++slot->refused;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      } else {
        slot->unexpected += std::to_string(res->status) + " " + res->body + "\n";
        return;
      }
    }
  }

  std::atomic<bool> stop_{false};
  std::vector<std::unique_ptr<Slot>> slots_;
  std::vector<std::thread> threads_;
};

int IncrementLoad::Sum(std::atomic<int> Slot::*field) const {
  int total = 0;
  for (const auto& slot : slots_) total += ((*slot).*field).load();
  return total;
}

constexpr int kLoadThreads = 4;
constexpr int kStartSlots = 5;

// Starts `server` on the failing disk's data dir with a limit holding
// kStartSlots, makes the disk fail under load, and checks the failing
// state: the log, 503s at once, reads working, nothing changed by a refusal.
void FailUnderLoad(SlotdProcess& server, FailingDisk& disk, IncrementLoad** load_out,
                   std::unique_ptr<IncrementLoad>* load, bool held_expected) {
  auto cli = server.client();
  cli->set_read_timeout(3, 0);
  CreateV2Limit(*cli, "disk", 1000000);
  for (int i = 0; i < kStartSlots; ++i) {
    RequireStatus(PostJson(*cli, "/api/v2/concurrency_limits/increment", std::string(kIncrement)),
                  200);
  }
  *load = std::make_unique<IncrementLoad>(server.port(), kLoadThreads);
  *load_out = load->get();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  disk.Fail(server.pid());
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  while (server.stderr_text().find("failed; changes are refused (503) until a retry succeeds") ==
             std::string::npos &&
         Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const std::string log = server.stderr_text();
  INFO(log);
  REQUIRE(log.find("failed; changes are refused (503) until a retry succeeds") !=
          std::string::npos);
  CHECK(log.find(disk.error_text()) != std::string::npos);
  // Let the load meet the failure.
  std::this_thread::sleep_for(std::chrono::milliseconds(700));

  // New changes are refused at once; reads work; a refusal changes nothing.
  const int64_t active = ActiveSlots(*cli, "disk");
  for (int i = 0; i < 10; ++i) {
    const auto sent = Clock::now();
    auto res = PostJson(*cli, "/api/v2/concurrency_limits/increment", std::string(kIncrement));
    CheckDetail(res, 503, kDiskDetail);
    CHECK(Clock::now() - sent < std::chrono::seconds(2));
    CheckDetail(
        PostJson(*cli, "/api/v2/concurrency_limits/decrement", R"({"names":["disk"],"slots":1})"),
        503, kDiskDetail);
  }
  CheckDetail(PostJson(*cli, "/api/v2/concurrency_limits/", R"({"name":"other","limit":1})"), 503,
              kDiskDetail);
  CheckDetail(cli->Delete("/api/v2/concurrency_limits/disk"), 503, kDiskDetail);
  RequireStatus(cli->Get("/api/v2/concurrency_limits/other"), 404);
  RequireStatus(PostJson(*cli, "/api/v2/concurrency_limits/filter", "{}"), 200);
  CHECK(ActiveSlots(*cli, "disk") == active);
  // What memory holds: every 200, and the changes whose answers are held.
  const int held = (*load_out)->HeldFor(std::chrono::milliseconds(500));
  INFO("held " << held << ", 200s " << (*load_out)->ok());
  CHECK(active >= kStartSlots + (*load_out)->ok());
  CHECK(active <= kStartSlots + (*load_out)->ok() + held);
  // (The load's own calls may all be held: each thread's change can be in
  // the write that failed. The calls above were refused.)
  // With --fsync always the write that failed held at least one change
  // whose caller waits for it (every change here is an increment).
  if (held_expected) CHECK(held >= 1);
}

TEST_CASE(
    "a failing disk under --data-dir: changes answer 503, reads work, held answers come once "
    "the disk heals, and a restart finds exactly the changes answered 200",
    "[durable][disk]") {
  const Fault fault = GENERATE(Fault::kFullTmpfs, Fault::kFileSizeLimit);
  const std::string fsync = GENERATE(std::string("always"), std::string("batch"));
  INFO(FaultName(fault) << ", --fsync " << fsync);
  FailingDisk disk(fault);
  if (!disk.usable()) {
    WARN("SKIPPED: " << disk.why());
    return;
  }
  const ServerOptions options = WithArgs({"--data-dir", disk.data_dir(), "--fsync", fsync});
  int ok = 0;
  {
    SlotdProcess server(options);
    std::unique_ptr<IncrementLoad> owned;
    IncrementLoad* load = nullptr;
    FailUnderLoad(server, disk, &load, &owned, fsync == "always");
    const int ok_while_failing = load->ok();

    // The disk heals: within the journal's retries the held answers come
    // (200: their changes are written) and changes are accepted again.
    disk.Heal(server.pid());
    const auto deadline = Clock::now() + std::chrono::seconds(10);
    while (load->ok() < ok_while_failing + 20 && Clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    load->Join();
    REQUIRE(load->unexpected() == "");
    CHECK(load->unanswered() == 0);
    CHECK(load->ok() >= ok_while_failing + 20);
    ok = load->ok();
    auto cli = server.client();
    CHECK(ActiveSlots(*cli, "disk") == kStartSlots + ok);
    CHECK(server.stderr_text().find("journal writable again; changes are accepted") !=
          std::string::npos);
    CHECK(server.stop().clean());
  }
  SlotdProcess restarted(options);
  auto cli = restarted.client();
  CHECK(ActiveSlots(*cli, "disk") == kStartSlots + ok);
  RequireStatus(cli->Get("/api/v2/concurrency_limits/other"), 404);
}

TEST_CASE(
    "a disk that does not heal (--fsync always): a stop answers every held request 503, a kill "
    "-9 leaves them unanswered, and a restart finds exactly the changes answered 200",
    "[durable][disk]") {
  const Fault fault = GENERATE(Fault::kFullTmpfs, Fault::kFileSizeLimit);
  const int stop_signal = GENERATE(SIGTERM, SIGKILL);
  INFO(FaultName(fault) << ", stopped with signal " << stop_signal);
  FailingDisk disk(fault);
  if (!disk.usable()) {
    WARN("SKIPPED: " << disk.why());
    return;
  }
  const ServerOptions options = WithArgs({"--data-dir", disk.data_dir(), "--fsync", "always"});
  int ok = 0;
  {
    SlotdProcess server(options);
    std::unique_ptr<IncrementLoad> owned;
    IncrementLoad* load = nullptr;
    FailUnderLoad(server, disk, &load, &owned, true);
    // The threads not held see that they are to send no more; only the
    // held requests are in flight at the stop.
    load->StopSending();
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    const int held = load->HeldFor(std::chrono::milliseconds(500));
    const int refused_before = load->refused();
    const int unanswered_before = load->unanswered();
    const auto stopping = Clock::now();
    const ExitStatus status = server.stop(stop_signal);
    load->Join();
    REQUIRE(load->unexpected() == "");
    ok = load->ok();
    INFO("held " << held << ", 200s " << ok);
    CHECK(held >= 1);
    if (stop_signal == SIGTERM) {
      CHECK(status.clean());
      // The held answers did not wait for the drain (30 s).
      CHECK(Clock::now() - stopping < std::chrono::seconds(5));
      // Each held request was answered 503 (none was left unanswered).
      CHECK(load->refused() == refused_before + held);
      CHECK(load->unanswered() == unanswered_before);
      CHECK(server.stderr_text().find("they were cut off the journal and answered 503") !=
            std::string::npos);
    } else {
      CHECK(load->unanswered() == unanswered_before + held);
    }
  }
  // Not a change answered 503 (or cut by the kill while held) is there, and
  // every one answered 200 is.
  disk.HealForRestart();
  SlotdProcess restarted(options);
  auto cli = restarted.client();
  CHECK(ActiveSlots(*cli, "disk") == kStartSlots + ok);
  RequireStatus(cli->Get("/api/v2/concurrency_limits/other"), 404);
}

}  // namespace
}  // namespace slotd::e2e
