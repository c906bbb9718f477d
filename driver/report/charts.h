// The report's charts, each a function from plain numbers to one SVG drawing (svg.h):
// radar (categories), pass@k curves, stacked status bars and the seesaw of deltas. The
// numbers are drawn as given: no chart computes a statistic. Every chart has a title and a
// text description (the numbers in words) for screen readers, and tells series apart by
// marker, dash or hatch as well as by colour.
//
// Pure functions; thread-safe.
#ifndef FATHOM_DRIVER_REPORT_CHARTS_H_
#define FATHOM_DRIVER_REPORT_CHARTS_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "driver/report/svg.h"

namespace fathom::driver::report {

// One model's polygon: a value in [0, 100] per axis, or none (the vertex is left out).
struct RadarSeries {
  std::string label;
  std::vector<std::optional<double>> values;
  size_t look = 0;  // SeriesLookFor(look)
};

struct RadarOptions {
  double radius = 120;
  bool fill = false;    // a translucent fill (one series per chart reads best)
  bool legend = true;
  bool ring_labels = true;  // 20, 40, 60, 80 along the first spoke
};

// A radar over `axes` (>= 3) with rings at 20, 40, ..., 100.
std::string RadarChart(const std::string& id, const std::string& title,
                       const std::vector<std::string>& axes,
                       const std::vector<RadarSeries>& series, const RadarOptions& options);

// One model's pass@k: (k, value in [0, 100]) in increasing k.
struct CurveSeries {
  std::string label;
  std::vector<std::pair<int64_t, double>> points;
  size_t look = 0;
};

// pass@k against k; k on a log scale when the largest k is 16 or more.
std::string PassAtKChart(const std::string& id, const std::string& title,
                         const std::vector<CurveSeries>& series);

struct StackCategory {
  std::string name;
  std::string colour;
  Hatch hatch = Hatch::kNone;
};

struct StackRow {
  std::string label;
  std::vector<int64_t> counts;  // one per category
};

// One horizontal bar per row, split into the categories' shares (percent labels where
// they fit); rows with no counts are drawn empty.
std::string StackedBarChart(const std::string& id, const std::string& title,
                            const std::vector<StackCategory>& categories,
                            const std::vector<StackRow>& rows);

struct SeesawBar {
  std::string label;
  double delta = 0;  // points, in the better direction (up = better)
  double low = 0;    // its 95% interval
  double high = 0;
  bool significant = false;  // the interval excludes 0
};

// A bar per benchmark, up (better) or down (worse), with its interval; bars in the order
// given.
std::string SeesawChart(const std::string& id, const std::string& title,
                        const std::vector<SeesawBar>& bars, const std::string& axis_label);

// Width in user units of `text` at font `size` (an estimate for layout: sans-serif
// average advance per code point).
double TextWidth(const std::string& text, double size);

}  // namespace fathom::driver::report

#endif  // FATHOM_DRIVER_REPORT_CHARTS_H_
