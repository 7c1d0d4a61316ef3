// The slotd-contend program itself, run on each shipped example scenario
// (shortened) against a slotd it starts.
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#ifdef SLOTD_BINARY

namespace slotd::contend::test {
namespace {

int RunTool(const std::vector<std::string>& args) {
  std::string command = SLOTD_CONTEND_BINARY;
  for (const std::string& a : args) command += " '" + a + "'";
  command += " > /dev/null";
  int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST_CASE("slotd-contend runs each example scenario against its own slotd and writes a report",
          "[slotd]") {
  namespace fs = std::filesystem;
  for (const char* name : {"tag-limit-4-herd", "three-overlapping-limits"}) {
    INFO(name);
    fs::path out = fs::temp_directory_path() / ("contend-cli-" + std::to_string(getpid()));
    fs::remove_all(out);
    std::string scenario = std::string(SLOTD_CONTEND_SCENARIOS) + "/" + name + ".json";
    CHECK(RunTool({scenario, "--duration", "1", "--quiet", "--no-plots", "--verify-holds",
                   "--slotd", SLOTD_BINARY, "--out", out.string()}) == 0);
    std::ifstream report(out / "report.json");
    std::stringstream text;
    text << report.rdbuf();
    CHECK(text.str().find("\"breaches\": {\"count\": 0") != std::string::npos);
    CHECK(fs::exists(out / "plots.gp"));
    fs::remove_all(out);
  }
}

}  // namespace
}  // namespace slotd::contend::test

#endif  // SLOTD_BINARY
