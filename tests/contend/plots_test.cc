#include "plots.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace slotd::contend::test {
namespace {

namespace fs = std::filesystem;

Summary PlotSummary() {
  Summary s;
  s.window_s = 2;
  s.acquisitions = 3;
  s.waits_ms = {0.2, 1.5, 300};
  s.wait = {3, 100, 1.5, 300, 300, 300};
  LimitSummary l{"tag:db", 4, 0, 2, 0.5, 4, std::vector<double>(kHeldSlices, 2.0)};
  s.limits.push_back(l);
  return s;
}

std::string TempDir() {
  std::string dir =
      (fs::temp_directory_path() / ("contend-plots-" + std::to_string(getpid()))).string();
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

bool GnuplotInstalled() { return std::system("gnuplot --version > /dev/null 2>&1") == 0; }

TEST_CASE("The plot data and script are written even when gnuplot is not run") {
  Scenario scenario;
  scenario.name = "plots";
  std::string dir = TempDir();
  PlotOutcome outcome = WritePlots(scenario, PlotSummary(), dir, false);
  CHECK_FALSE(outcome.drew);
  CHECK(outcome.message.find("gnuplot plots.gp") != std::string::npos);
  std::string held = Read(dir + "/held.dat");
  CHECK(held.rfind("# seconds  tag:db\n0.001 2\n", 0) == 0);
  CHECK(Read(dir + "/waits_cdf.dat").find("300 1\n") != std::string::npos);
  std::string script = Read(dir + "/plots.gp");
  CHECK(script.find("set output 'held.png'") != std::string::npos);
  CHECK(script.find("set output 'waits.png'") != std::string::npos);
  CHECK(script.find("'tag:db (limit 4): utilisation 0.500'") != std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("With gnuplot installed the plots become PNG files") {
  if (!GnuplotInstalled()) {
    WARN("gnuplot is not installed: skipped");
    return;
  }
  Scenario scenario;
  scenario.name = "it's plotted";  // a quote must survive gnuplot's quoting
  std::string dir = TempDir();
  PlotOutcome outcome = WritePlots(scenario, PlotSummary(), dir, true);
  INFO(outcome.message);
  CHECK(outcome.drew);
  CHECK(fs::file_size(dir + "/held.png") > 1000);
  CHECK(fs::file_size(dir + "/waits.png") > 1000);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace slotd::contend::test
