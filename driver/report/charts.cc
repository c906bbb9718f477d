// The report's charts (see charts.h).
#include "driver/report/charts.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace fathom::driver::report {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr char kGrid[] = "#d9d9d9";
constexpr char kAxis[] = "#4d4d4d";
constexpr char kMuted[] = "#555555";

// One decimal, without printf's "-0.0".
std::string Pct(double v) {
  std::string s = absl::StrFormat("%.1f", v);
  return s == "-0.0" ? "0.0" : s;
}

Style LineStyle(const SeriesLook& look, double width) {
  Style s;
  s.stroke = look.colour;
  s.stroke_width = width;
  s.dash = look.dash;
  return s;
}

Style MarkerStyle(const SeriesLook& look) {
  Style s;
  s.fill = look.colour;
  s.stroke = "#ffffff";
  s.stroke_width = 1;
  return s;
}

// The legend as rows of (line sample with marker, label) from (x, y), wrapping at
// `width`; returns the height used.
double Legend(Svg& svg, double x, double y, double width, const std::vector<std::string>& labels,
              const std::vector<size_t>& looks, bool lines) {
  double widest = 0;
  for (const std::string& l : labels) widest = std::max(widest, TextWidth(l, 12));
  const double entry = widest + (lines ? 46 : 24);
  const int per_row = std::max(1, static_cast<int>(width / entry));
  double row_y = y;
  for (size_t i = 0; i < labels.size(); ++i) {
    const int col = static_cast<int>(i) % per_row;
    if (i > 0 && col == 0) row_y += 20;
    const double ex = x + col * entry;
    const SeriesLook look = SeriesLookFor(looks[i]);
    if (lines) {
      svg.Line(ex, row_y, ex + 30, row_y, LineStyle(look, 2.2));
      svg.Marker(look.marker, ex + 15, row_y, 8, MarkerStyle(look));
      svg.Text(ex + 36, row_y, labels[i], TextStyle(12).Middle());
    } else {
      svg.Marker(look.marker, ex + 6, row_y, 9, MarkerStyle(look));
      svg.Text(ex + 16, row_y, labels[i], TextStyle(12).Middle());
    }
  }
  return labels.empty() ? 0 : row_y - y + 20;
}

size_t Utf8Length(const std::string& s) {
  size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
  return n;
}

}  // namespace

double TextWidth(const std::string& text, double size) {
  return static_cast<double>(Utf8Length(text)) * size * 0.6;
}

std::string RadarChart(const std::string& id, const std::string& title,
                       const std::vector<std::string>& axes,
                       const std::vector<RadarSeries>& series, const RadarOptions& o) {
  const size_t m = axes.size();
  double label_w = 0;
  const double font = o.radius < 110 ? 13 : 12;
  for (const std::string& a : axes) label_w = std::max(label_w, TextWidth(a, font) * 1.15);
  const double r = o.radius;
  const double side = label_w + 18;
  const double width = 2 * (r + side);
  const double cx = width / 2, cy = r + 30;
  std::vector<std::string> labels;
  std::vector<size_t> looks;
  for (const RadarSeries& s : series) {
    labels.push_back(s.label);
    looks.push_back(s.look);
  }
  // The legend's height decides the drawing's; lay it out once on a scratch drawing.
  double legend_h = 0;
  if (o.legend) {
    Svg scratch(width, 10, "scratch");
    legend_h = Legend(scratch, 10, 0, width - 20, labels, looks, true) + 8;
  }
  Svg svg(width, cy + r + 30 + legend_h, id);
  auto at = [&](size_t j, double frac) {
    const double angle = -kPi / 2 + 2 * kPi * static_cast<double>(j) / static_cast<double>(m);
    return Point{cx + r * frac * std::cos(angle), cy + r * frac * std::sin(angle)};
  };
  // Rings and spokes.
  for (int ring = 1; ring <= 5; ++ring) {
    std::vector<Point> pts;
    for (size_t j = 0; j < m; ++j) pts.push_back(at(j, ring / 5.0));
    const Style s = Style().Line(ring == 5 ? "#9a9a9a" : kGrid, 1);
    svg.Polygon(pts, s);
  }
  for (size_t j = 0; j < m; ++j) {
    const Point p = at(j, 1);
    svg.Line(cx, cy, p.x, p.y, Style().Line(kGrid, 1));
  }
  // Ring values along the first spoke, left of it, clear of the axis label above.
  for (int ring = 1; ring <= 4 && o.ring_labels; ++ring) {
    const Point p = at(0, ring / 5.0);
    svg.Text(p.x - 4, p.y, absl::StrCat(ring * 20), TextStyle(10).Anchor("end").Colour(kMuted).Middle());
  }
  for (size_t j = 0; j < m; ++j) {
    const Point p = at(j, 1);
    const double dx = p.x - cx;
    const double dy = p.y - cy;
    const double len = std::hypot(dx, dy);
    const double ux = len > 0 ? dx / len : 0, uy = len > 0 ? dy / len : -1;
    const std::string anchor = std::abs(ux) < 0.2 ? "middle" : (ux > 0 ? "start" : "end");
    svg.Text(p.x + ux * 10, p.y + uy * 14, axes[j], TextStyle(font).Anchor(anchor).Bold().Middle());
  }
  // Series.
  std::vector<std::string> words;
  for (const RadarSeries& s : series) {
    const SeriesLook look = SeriesLookFor(s.look);
    std::vector<Point> pts;
    std::vector<std::string> parts;
    for (size_t j = 0; j < m && j < s.values.size(); ++j) {
      if (!s.values[j].has_value()) {
        parts.push_back(absl::StrCat(axes[j], " none"));
        continue;
      }
      const double v = std::clamp(*s.values[j], 0.0, 100.0);
      pts.push_back(at(j, v / 100.0));
      parts.push_back(absl::StrCat(axes[j], " ", Pct(*s.values[j])));
    }
    words.push_back(absl::StrCat(s.label, ": ", absl::StrJoin(parts, ", ")));
    svg.BeginGroup(s.label);
    Style poly = LineStyle(look, 2.2);
    if (o.fill) {
      poly.fill = look.colour;
      poly.fill_opacity = 0.14;
    }
    if (pts.size() >= 3) {
      svg.Polygon(pts, poly);
    } else {
      svg.Polyline(pts, poly);
    }
    for (const Point& p : pts) svg.Marker(look.marker, p.x, p.y, 8, MarkerStyle(look));
    svg.EndGroup();
  }
  if (o.legend) Legend(svg, 10, cy + r + 34, width - 20, labels, looks, true);
  return svg.Finish(title, absl::StrCat("Radar chart, 0 to 100 per axis. ",
                                        absl::StrJoin(words, ". "), "."));
}

std::string PassAtKChart(const std::string& id, const std::string& title,
                         const std::vector<CurveSeries>& series) {
  int64_t max_k = 1;
  for (const CurveSeries& s : series) {
    for (const auto& [k, v] : s.points) max_k = std::max(max_k, k);
  }
  const bool log_x = max_k >= 16;
  const double width = 560, left = 56, right = 18, top = 14, plot_h = 230;
  const double plot_w = width - left - right;
  std::vector<std::string> labels;
  std::vector<size_t> looks;
  for (const CurveSeries& s : series) {
    labels.push_back(s.label);
    looks.push_back(s.look);
  }
  Svg scratch(width, 10, "scratch");
  const double legend_h = Legend(scratch, left, 0, plot_w, labels, looks, true);
  Svg svg(width, top + plot_h + 52 + legend_h, id);
  auto xpos = [&](double k) {
    if (max_k <= 1) return left + plot_w / 2;
    const double f = log_x ? std::log(k) / std::log(static_cast<double>(max_k))
                           : (k - 1) / static_cast<double>(max_k - 1);
    return left + f * plot_w;
  };
  auto ypos = [&](double v) { return top + plot_h * (1 - v / 100.0); };
  // Grid and y axis.
  for (int t = 0; t <= 100; t += 20) {
    svg.Line(left, ypos(t), left + plot_w, ypos(t), Style().Line(kGrid, 1));
    svg.Text(left - 6, ypos(t), absl::StrCat(t), TextStyle(11).Anchor("end").Middle());
  }
  std::vector<int64_t> xticks;
  if (log_x) {
    for (int64_t t : {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000}) {
      if (t <= max_k) xticks.push_back(t);
    }
    if (xticks.back() != max_k) xticks.push_back(max_k);
  } else {
    for (double t : NiceTicks(1, static_cast<double>(max_k), 8)) {
      const int64_t k = static_cast<int64_t>(std::llround(t));
      if (k >= 1 && k <= max_k && (xticks.empty() || xticks.back() != k)) xticks.push_back(k);
    }
    if (xticks.empty() || xticks.front() != 1) xticks.insert(xticks.begin(), 1);
  }
  for (int64_t k : xticks) {
    const double x = xpos(static_cast<double>(k));
    svg.Line(x, top + plot_h, x, top + plot_h + 5, Style().Line(kAxis, 1));
    svg.Text(x, top + plot_h + 18, absl::StrCat(k), TextStyle(11).Anchor("middle"));
  }
  svg.Line(left, top + plot_h, left + plot_w, top + plot_h, Style().Line(kAxis, 1));
  svg.Line(left, top, left, top + plot_h, Style().Line(kAxis, 1));
  svg.Text(left + plot_w / 2, top + plot_h + 36,
           log_x ? "k (samples drawn per task, log scale)" : "k (samples drawn per task)",
           TextStyle(12).Anchor("middle"));
  svg.Text(16, top + plot_h / 2, "pass@k (%)", TextStyle(12).Anchor("middle").Rotate(-90));
  std::vector<std::string> words;
  for (const CurveSeries& s : series) {
    const SeriesLook look = SeriesLookFor(s.look);
    std::vector<Point> pts;
    for (const auto& [k, v] : s.points) pts.push_back({xpos(static_cast<double>(k)), ypos(v)});
    svg.BeginGroup(s.label);
    svg.Polyline(pts, LineStyle(look, 2.2));
    std::vector<std::string> parts;
    for (size_t i = 0; i < s.points.size(); ++i) {
      const int64_t k = s.points[i].first;
      const bool tick = std::find(xticks.begin(), xticks.end(), k) != xticks.end();
      if (tick || s.points.size() <= 12 || i + 1 == s.points.size()) {
        svg.Marker(look.marker, pts[i].x, pts[i].y, 8, MarkerStyle(look));
        parts.push_back(absl::StrCat("pass@", k, " ", Pct(s.points[i].second)));
      }
    }
    svg.EndGroup();
    words.push_back(absl::StrCat(s.label, ": ", absl::StrJoin(parts, ", ")));
  }
  Legend(svg, left, top + plot_h + 56, plot_w, labels, looks, true);
  return svg.Finish(title, absl::StrCat("Line chart of pass@k against k. ",
                                        absl::StrJoin(words, ". "), "."));
}

std::string StackedBarChart(const std::string& id, const std::string& title,
                            const std::vector<StackCategory>& categories,
                            const std::vector<StackRow>& rows) {
  double label_w = 0;
  for (const StackRow& r : rows) label_w = std::max(label_w, TextWidth(r.label, 12));
  label_w = std::min(label_w, 200.0);
  const double width = 560, left = label_w + 16, right = 12, top = 10, row_h = 30, bar_h = 20;
  const double plot_w = width - left - right;
  // Legend: a swatch per category that some row has, wrapping.
  std::vector<size_t> used;
  for (size_t c = 0; c < categories.size(); ++c) {
    for (const StackRow& r : rows) {
      if (c < r.counts.size() && r.counts[c] > 0) {
        used.push_back(c);
        break;
      }
    }
  }
  double widest = 0;
  for (size_t c : used) widest = std::max(widest, TextWidth(categories[c].name, 12));
  const double entry = widest + 34;
  const int per_row = std::max(1, static_cast<int>((width - left) / entry));
  const int legend_rows = (static_cast<int>(used.size()) + per_row - 1) / per_row;
  const double plot_h = row_h * static_cast<double>(rows.size());
  Svg svg(width, top + plot_h + 28 + 20.0 * legend_rows + 8, id);
  std::vector<std::string> fills;
  for (const StackCategory& c : categories) {
    fills.push_back(svg.Pattern(c.name, c.hatch, c.colour, "#ffffff"));
  }
  std::vector<std::string> words;
  for (size_t r = 0; r < rows.size(); ++r) {
    const StackRow& row = rows[r];
    const double y = top + row_h * static_cast<double>(r) + (row_h - bar_h) / 2;
    svg.Text(left - 8, y + bar_h / 2, row.label, TextStyle(12).Anchor("end").Middle());
    int64_t total = 0;
    for (int64_t c : row.counts) total += c;
    svg.Rect(left, y, plot_w, bar_h, Style().Line("#bdbdbd", 1));
    if (total == 0) {
      words.push_back(absl::StrCat(row.label, ": no samples"));
      continue;
    }
    double x = left;
    std::vector<std::string> parts;
    svg.BeginGroup(row.label);
    for (size_t c = 0; c < categories.size() && c < row.counts.size(); ++c) {
      if (row.counts[c] == 0) continue;
      const double share = static_cast<double>(row.counts[c]) / static_cast<double>(total);
      const double w = share * plot_w;
      svg.Rect(x, y, w, bar_h, Style().Line("#ffffff", 0.8).Fill(fills[c]));
      const std::string pct = absl::StrCat(Pct(share * 100), "%");
      if (w >= TextWidth(pct, 11) + 6) {
        svg.Text(x + w / 2, y + bar_h / 2, pct,
                 TextStyle(11).Anchor("middle").Bold().Middle().Halo());
      }
      parts.push_back(absl::StrCat(categories[c].name, " ", row.counts[c], " (", pct, ")"));
      x += w;
    }
    svg.EndGroup();
    words.push_back(absl::StrCat(row.label, ": ", absl::StrJoin(parts, ", ")));
  }
  const double ly = top + plot_h + 18;
  for (size_t i = 0; i < used.size(); ++i) {
    const size_t c = used[i];
    const double x = left + static_cast<double>(static_cast<int>(i) % per_row) * entry;
    const double y = ly + 20.0 * static_cast<double>(static_cast<int>(i) / per_row);
    svg.Rect(x, y - 7, 18, 14, Style().Line("#7a7a7a", 0.8).Fill(fills[c]));
    svg.Text(x + 24, y, categories[c].name, TextStyle(12).Middle());
  }
  return svg.Finish(title, absl::StrCat("Stacked bars, share of samples per status. ",
                                        absl::StrJoin(words, ". "), "."));
}

std::string SeesawChart(const std::string& id, const std::string& title,
                        const std::vector<SeesawBar>& bars, const std::string& axis_label) {
  double label_w = 0;
  for (const SeesawBar& b : bars) label_w = std::max(label_w, TextWidth(b.label, 12));
  const double slot = 36, left = 58, right = 16, top = 24, plot_h = 240;
  const double width = std::max(560.0, left + right + slot * static_cast<double>(bars.size()));
  const double plot_w = width - left - right;
  const double label_h = label_w * 0.72 + 16;  // labels at -45 degrees
  Svg svg(width, top + plot_h + label_h + 54, id);
  double lo = 0, hi = 0;
  for (const SeesawBar& b : bars) {
    lo = std::min({lo, b.delta, b.low});
    hi = std::max({hi, b.delta, b.high});
  }
  if (hi - lo < 1) {
    hi += 0.5;
    lo -= 0.5;
  }
  const std::vector<double> ticks = NiceTicks(lo, hi, 7);
  lo = ticks.front();
  hi = ticks.back();
  auto ypos = [&](double v) { return top + plot_h * (hi - v) / (hi - lo); };
  for (double t : ticks) {
    svg.Line(left, ypos(t), left + plot_w, ypos(t),
             Style().Line(t == 0 ? kAxis : kGrid, t == 0 ? 1.4 : 1));
    svg.Text(left - 6, ypos(t), t > 0 ? absl::StrCat("+", Coord(t)) : Coord(t),
             TextStyle(11).Anchor("end").Middle());
  }
  svg.Line(left, top, left, top + plot_h, Style().Line(kAxis, 1));
  svg.Text(16, top + plot_h / 2, axis_label, TextStyle(12).Anchor("middle").Rotate(-90));
  const std::string up = "#0072B2", down = "#D55E00";
  // Direction is the bar's side of zero; the fill says whether the interval excludes zero
  // (solid) or not (hatched), so neither needs colour to be read.
  const std::string up_fill = up;
  const std::string down_fill = down;
  const std::string up_light = svg.Pattern("up-ns", Hatch::kDiagonal, "#ffffff", up);
  const std::string down_light = svg.Pattern("down-ns", Hatch::kDiagonal, "#ffffff", down);
  std::vector<std::string> words;
  for (size_t i = 0; i < bars.size(); ++i) {
    const SeesawBar& b = bars[i];
    const double cx = left + slot * (static_cast<double>(i) + 0.5) +
                      (plot_w - slot * static_cast<double>(bars.size())) / 2;
    const double bw = slot * 0.62;
    const bool better = b.delta >= 0;
    const std::string& colour = better ? up : down;
    Style bar = Style().Line(colour, 1.2);
    bar.fill = b.significant ? (better ? up_fill : down_fill) : (better ? up_light : down_light);
    svg.BeginGroup(b.label);
    svg.Rect(cx - bw / 2, ypos(0), bw, ypos(b.delta) - ypos(0), bar);
    // The interval: a whisker with caps.
    const Style whisker = Style().Line("#1a1a1a", 1.3);
    svg.Line(cx, ypos(b.low), cx, ypos(b.high), whisker);
    svg.Line(cx - 5, ypos(b.low), cx + 5, ypos(b.low), whisker);
    svg.Line(cx - 5, ypos(b.high), cx + 5, ypos(b.high), whisker);
    std::string value = Pct(b.delta);
    if (b.delta > 0 && value != "0.0") value.insert(0, "+");
    const double vy = better ? ypos(std::max(b.high, b.delta)) - 6 : ypos(std::min(b.low, b.delta)) + 13;
    svg.Text(cx, vy, value, TextStyle(10).Anchor("middle").Halo());
    svg.Text(cx + 4, top + plot_h + 12, b.label, TextStyle(12).Anchor("end").Rotate(-45));
    svg.EndGroup();
    words.push_back(absl::StrCat(b.label, " ", value, " [", Pct(b.low), ", ", Pct(b.high), "]",
                                 b.significant ? "" : " (not significant)"));
  }
  // Key: what solid, hatched and light bars mean.
  const double ky = top + plot_h + label_h + 18;
  struct Key {
    std::string fill, stroke, text;
  };
  const std::vector<Key> keys = {{up_fill, up, "better, 95% CI excludes 0"},
                                 {down_fill, down, "worse, 95% CI excludes 0"},
                                 {up_light, up, "better, CI includes 0"},
                                 {down_light, down, "worse, CI includes 0"}};
  double col_w = 0;
  for (const Key& k : keys) col_w = std::max(col_w, TextWidth(k.text, 11) + 36);
  for (size_t i = 0; i < keys.size(); ++i) {
    const double kx = left + col_w * static_cast<double>(i % 2);
    const double y = ky + 20.0 * static_cast<double>(i / 2);
    svg.Rect(kx, y - 7, 18, 14, Style().Line(keys[i].stroke, 1.2).Fill(keys[i].fill));
    svg.Text(kx + 23, y, keys[i].text, TextStyle(11).Middle());
  }
  return svg.Finish(title, absl::StrCat("Bar chart of the change per benchmark, up is better. ",
                                        absl::StrJoin(words, "; "), "."));
}

}  // namespace fathom::driver::report
