#include "plots.h"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "metrics.h"
#include "report.h"

namespace slotd::contend {
namespace {

constexpr int kCdfPoints = 2000;

// A gnuplot single-quoted string: a quote inside is written twice.
std::string Quote(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

void WriteHeldData(const Summary& s, const std::string& path) {
  std::ofstream out(path);
  out << "# seconds";
  for (const LimitSummary& l : s.limits) out << "  " << l.name;
  out << "\n";
  double width = s.window_s / kHeldSlices;
  for (int i = 0; i < kHeldSlices; ++i) {
    out << (i + 0.5) * width;
    for (const LimitSummary& l : s.limits) out << ' ' << l.held_over_time[i];
    out << '\n';
  }
}

// Returns the tallest histogram bin, for the count axis.
int64_t WriteWaitData(const Summary& s, const std::string& dir) {
  std::ofstream hist(dir + "/waits_hist.dat");
  hist << "# from_ms to_ms acquisitions\n";
  Histogram h = LogHistogram(s.waits_ms, 10, 0.01);
  for (size_t i = 0; i < h.counts.size(); ++i) {
    hist << h.edges[i] << ' ' << h.edges[i + 1] << ' ' << h.counts[i] << '\n';
  }
  // The cumulative curve thinned to kCdfPoints, always keeping the maximum.
  std::ofstream cdf(dir + "/waits_cdf.dat");
  cdf << "# wait_ms fraction_acquired_within\n";
  size_t n = s.waits_ms.size();
  size_t step = std::max<size_t>(1, n / kCdfPoints);
  for (size_t i = 0; i < n; i += step) cdf << s.waits_ms[i] << ' ' << (i + 1.0) / n << '\n';
  if (n > 0 && (n - 1) % step != 0) cdf << s.waits_ms.back() << " 1\n";
  return h.counts.empty() ? 1 : *std::max_element(h.counts.begin(), h.counts.end());
}

std::string HeldScript(const Scenario& scenario, const Summary& s) {
  std::ostringstream gp;
  size_t panels = s.limits.size();
  gp << "set terminal pngcairo noenhanced size 1000," << 60 + 260 * panels << " font ',10'\n"
     << "set output 'held.png'\n"
     << "set multiplot layout " << panels << ",1 title "
     << Quote("Slots held over time: " + scenario.name + " (mean per " +
              FormatMs(s.window_s * 1000 / kHeldSlices) + ")")
     << "\nset xlabel 'seconds since the run started'\nset ylabel 'slots held'\n"
     << "set xrange [0:" << s.window_s << "]\nset key outside right top\nset grid\n";
  for (size_t i = 0; i < panels; ++i) {
    const LimitSummary& l = s.limits[i];
    char utilisation[32];
    std::snprintf(utilisation, sizeof utilisation, "%.3f", l.utilisation);
    gp << "set title "
       << Quote(l.name + " (limit " + std::to_string(l.limit) + "): utilisation " + utilisation)
       << "\nset yrange [0:" << std::max(l.limit, l.peak_held) * 1.2 + 0.5 << "]\n"
       << "plot 'held.dat' using 1:" << i + 2
       << " with steps lw 1.5 lc rgb '#1f77b4' title 'held', " << l.limit
       << " with lines dt 2 lw 2 lc rgb '#d62728' title 'limit'\n";
  }
  gp << "unset multiplot\n";
  return gp.str();
}

std::string WaitsScript(const Summary& s, int64_t tallest_bin) {
  std::ostringstream gp;
  // reset: nothing of the held plot (ranges, titles) carries over.
  gp << "reset\nset terminal pngcairo noenhanced size 1000,700 font ',10'\n"
     << "set output 'waits.png'\nset multiplot layout 2,1 title "
     << Quote("Wait from first attempt to acquisition: " + std::to_string(s.acquisitions) +
              " acquisitions")
     << "\nset logscale x\nset grid\nset key off\nset xlabel 'wait (ms, log scale)'\n"
     // A log count axis keeps the rare long waits, the ones that matter, visible.
     << "set logscale y\nset ylabel 'acquisitions (log scale)'\n"
     << "set yrange [0.5:" << tallest_bin * 2 << "]\nset style fill solid 0.6\n"
     << "plot 'waits_hist.dat' using (sqrt($1*$2)):3:1:2:(0.5):3 with boxxyerror "
        "lc rgb '#1f77b4'\n"
     << "unset logscale y\nset ylabel 'fraction acquired within'\nset yrange [0:1.05]\n";
  const std::pair<const char*, double> marks[] = {
      {"p50", s.wait.p50_ms}, {"p90", s.wait.p90_ms}, {"p99", s.wait.p99_ms}};
  for (const auto& [name, ms] : marks) {
    gp << "set arrow from " << std::max(ms, 0.01) << ", graph 0 to " << std::max(ms, 0.01)
       << ", graph 1 nohead dt 2 lc rgb '#d62728'\n"
       << "set label " << Quote(std::string(name) + " " + FormatMs(ms)) << " at "
       << std::max(ms, 0.01) << ", graph 0.1 rotate by 90 offset -0.7,0\n";
  }
  gp << "plot 'waits_cdf.dat' using 1:2 with steps lw 2 lc rgb '#1f77b4'\nunset multiplot\n";
  return gp.str();
}

// Runs `gnuplot plots.gp` in `dir`; returns its exit status (127: not found).
int RunGnuplot(const std::string& dir) {
  pid_t pid = fork();
  if (pid < 0) return 127;
  if (pid == 0) {
    if (chdir(dir.c_str()) == 0) execlp("gnuplot", "gnuplot", "plots.gp", (char*)nullptr);
    _exit(127);
  }
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return 127;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

}  // namespace

PlotOutcome WritePlots(const Scenario& scenario, const Summary& s, const std::string& dir,
                       bool run_gnuplot) {
  WriteHeldData(s, dir + "/held.dat");
  int64_t tallest_bin = WriteWaitData(s, dir);
  std::ofstream script(dir + "/plots.gp");
  script << "# Draws held.png and waits.png from the .dat files here: gnuplot plots.gp\n"
         << HeldScript(scenario, s);
  // With no acquisition there is no distribution to draw (gnuplot would fail).
  if (s.acquisitions > 0) script << WaitsScript(s, tallest_bin);
  script.close();
  PlotOutcome outcome;
  if (!run_gnuplot) {
    outcome.message = "plots not drawn (asked not to); run: cd " + dir + " && gnuplot plots.gp";
    return outcome;
  }
  int status = RunGnuplot(dir);
  outcome.drew = status == 0;
  if (status == 127) {
    outcome.message =
        "gnuplot not found: install gnuplot-nox, then run: cd " + dir + " && gnuplot plots.gp";
  } else if (status != 0) {
    outcome.message =
        "gnuplot failed (status " + std::to_string(status) + ") on " + dir + "/plots.gp";
  } else {
    outcome.message = dir + (s.acquisitions > 0 ? "/held.png, waits.png" : "/held.png");
  }
  return outcome;
}

}  // namespace slotd::contend
