// Pictures of a run: held.png (slots held over time, one panel per limit,
// with the limit drawn across) and waits.png (the distribution of waits to
// acquire: a histogram and the cumulative curve with p50/p90/p99 marked).
//
// The data go to .dat files and the drawing to a gnuplot script, both in the
// output directory; gnuplot (Debian's gnuplot-nox) is run when installed,
// otherwise the message says how to draw them later.
#pragma once

#include <string>

#include "scenario.h"
#include "summary.h"

namespace slotd::contend {

struct PlotOutcome {
  bool drew = false;    // the PNGs exist
  std::string message;  // what was written, or why no PNG was drawn
};

// Writes held.dat, waits_hist.dat, waits_cdf.dat and plots.gp into `dir`
// (which must exist) and runs gnuplot there unless `run_gnuplot` is false.
PlotOutcome WritePlots(const Scenario& scenario, const Summary& summary, const std::string& dir,
                       bool run_gnuplot);

}  // namespace slotd::contend
