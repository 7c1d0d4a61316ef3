#include "progress.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <string>

namespace slotd::contend {

ProgressLine::ProgressLine(const Scenario& scenario, const RunLedger& ledger, const RunClock& clock,
                           std::FILE* out)
    : scenario_(scenario),
      ledger_(ledger),
      clock_(clock),
      out_(out),
      terminal_(isatty(fileno(out)) != 0) {
  double seconds = terminal_ ? 1.0 : std::max(1.0, std::ceil(scenario.duration_s / 20));
  interval_ =
      std::chrono::duration_cast<SteadyClock::duration>(std::chrono::duration<double>(seconds));
}

void ProgressLine::Tick() {
  double elapsed = std::clamp(clock_.Now(), 0.0, scenario_.duration_s);
  int64_t acquired = ledger_.acquisitions();
  std::string line;
  char head[160];
  std::snprintf(head, sizeof head, "[%6.1f/%.1f s]  %lld acquired (%.1f/s)  %lld refused", elapsed,
                scenario_.duration_s, static_cast<long long>(acquired),
                elapsed > 0 ? acquired / elapsed : 0.0, static_cast<long long>(ledger_.refusals()));
  line = head;
  line += "  held";
  for (size_t i = 0; i < scenario_.limits.size(); ++i) {
    line += " " + scenario_.limits[i].name + " " + std::to_string(ledger_.held(i)) + "/" +
            std::to_string(scenario_.limits[i].limit);
  }
  if (int64_t breaches = ledger_.breach_count()) {
    line += "  BREACHES " + std::to_string(breaches);
  }
  // "\033[K" clears what a longer previous line left behind.
  std::fprintf(out_, terminal_ ? "\r%s\033[K" : "%s\n", line.c_str());
  std::fflush(out_);
}

void ProgressLine::Finish() {
  if (terminal_) std::fputc('\n', out_);
  std::fflush(out_);
}

}  // namespace slotd::contend
