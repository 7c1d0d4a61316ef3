// --data-dir on a disk that fills up: a small tmpfs mounted by the test
// (as root; without the right to mount, the test says so and skips). The
// changing calls answer 503 with the data-dir detail and the log says why,
// reads keep working, a refused call changes nothing, and once space returns
// (the filler file deleted) slotd accepts changes again by itself, with
// every change it kept in memory on disk (a restart finds them).
//
// With --fsync always a request whose change cannot be written is answered
// 503 at once: it never waits for a disk that may not come back.
#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

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

TEST_CASE(
    "a full disk under --data-dir: changes answer 503, reads work, and space coming back "
    "brings changes back",
    "[durable][disk]") {
  const std::string fsync = GENERATE(std::string("always"), std::string("batch"));
  INFO("--fsync " << fsync);
  SmallTmpfs disk(1 << 20);
  if (!disk.mounted()) {
    WARN("SKIPPED: " << disk.why());
    return;
  }
  const std::string data_dir = disk.path() + "/data";
  const ServerOptions options = WithArgs({"--data-dir", data_dir, "--fsync", fsync});

  int64_t active = 0;  // what the server holds when the disk fills
  {
    SlotdProcess server(options);
    auto cli = server.client();
    // A bound a request waiting for the disk would pass: the client's own
    // timeout turns such a wait into a failed answer.
    cli->set_read_timeout(3, 0);
    CreateV2Limit(*cli, "disk", 1000000);
    for (int i = 0; i < 5; ++i) {
      RequireStatus(PostJson(*cli, "/api/v2/concurrency_limits/increment", std::string(kIncrement)),
                    200);
    }
    CHECK(ActiveSlots(*cli, "disk") == 5);

    const size_t filled = FillUp(disk.path() + "/filler");
    INFO("filler: " << filled << " bytes");

    // The journal's last page may still take a few records; the first change
    // that needs a new one is refused. Each answer comes well inside the
    // client's timeout.
    int ok = 0;
    bool refused = false;
    for (int i = 0; i < 2000 && !refused; ++i) {
      const auto sent = Clock::now();
      auto res = PostJson(*cli, "/api/v2/concurrency_limits/increment", std::string(kIncrement));
      RequireAnswer(res);
      CHECK(Clock::now() - sent < std::chrono::seconds(2));
      if (res->status == 200) {
        ++ok;
        continue;
      }
      CheckDetail(res, 503, kDiskDetail);
      refused = true;
    }
    INFO(ok << " increments were answered 200 after the filler");
    REQUIRE(refused);

    // The log names the journal and the cause.
    const std::string log = server.stderr_text();
    CHECK(log.find("failed; changes are refused (503) until a retry succeeds") !=
          std::string::npos);
    CHECK(log.find("No space left on device") != std::string::npos);

    // Reads work; a refused call changes nothing.
    RequireStatus(cli->Get("/api/health"), 200);
    active = ActiveSlots(*cli, "disk");
    // Every 200 is held; with --fsync always the call answered 503 may be
    // held too (its change was made before the write failed: in doubt).
    CHECK(active >= 5 + ok);
    CHECK(active <= 5 + ok + 1);
    for (int i = 0; i < 20; ++i) {
      auto res = PostJson(*cli, "/api/v2/concurrency_limits/increment", std::string(kIncrement));
      CheckDetail(res, 503, kDiskDetail);
      CheckDetail(
          PostJson(*cli, "/api/v2/concurrency_limits/decrement", R"({"names":["disk"],"slots":1})"),
          503, kDiskDetail);
    }
    CheckDetail(PostJson(*cli, "/api/v2/concurrency_limits/", R"({"name":"other","limit":1})"), 503,
                kDiskDetail);
    CheckDetail(cli->Delete("/api/v2/concurrency_limits/disk"), 503, kDiskDetail);
    CHECK(ActiveSlots(*cli, "disk") == active);
    RequireStatus(cli->Get("/api/v2/concurrency_limits/other"), 404);
    RequireStatus(PostJson(*cli, "/api/v2/concurrency_limits/filter", "{}"), 200);

    // Space comes back: within the journal's retries, changes are accepted
    // again, with no restart.
    REQUIRE(unlink((disk.path() + "/filler").c_str()) == 0);
    const auto deadline = Clock::now() + std::chrono::seconds(10);
    int status = 0;
    while (Clock::now() < deadline) {
      auto res = PostJson(*cli, "/api/v2/concurrency_limits/increment", std::string(kIncrement));
      RequireAnswer(res);
      status = res->status;
      if (status == 200) break;
      CheckDetail(res, 503, kDiskDetail);
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    REQUIRE(status == 200);
    ++active;
    CHECK(ActiveSlots(*cli, "disk") == active);
    CHECK(server.stderr_text().find("journal writable again; changes are accepted") !=
          std::string::npos);
    CHECK(server.stop().clean());
  }

  // What the server held, the changes it kept in memory while the disk was
  // full among them, is on disk.
  SlotdProcess restarted(options);
  auto cli = restarted.client();
  CHECK(ActiveSlots(*cli, "disk") == active);
  RequireStatus(cli->Get("/api/v2/concurrency_limits/other"), 404);
}

}  // namespace
}  // namespace slotd::e2e
