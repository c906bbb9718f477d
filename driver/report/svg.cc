// The SVG writer (see svg.h).
#include "driver/report/svg.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "grader/formats/utf8.h"

namespace fathom::driver::report {
namespace {

// The font the drawing asks for when it stands alone (pasted into a document); inside the
// page it inherits the page's.
constexpr char kFontStack[] =
    "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, "
    "'Liberation Sans', 'DejaVu Sans', sans-serif";

std::string Points(const std::vector<Point>& points) {
  std::string out;
  for (const Point& p : points) {
    if (!out.empty()) out += ' ';
    absl::StrAppend(&out, Coord(p.x), ",", Coord(p.y));
  }
  return out;
}

std::string StyleAttrs(const Style& s) {
  std::string out = absl::StrCat(" fill=\"", XmlEscape(s.fill), "\"");
  if (s.fill != "none" && s.fill_opacity < 1) {
    absl::StrAppend(&out, " fill-opacity=\"", Coord(s.fill_opacity), "\"");
  }
  if (s.stroke != "none") {
    absl::StrAppend(&out, " stroke=\"", XmlEscape(s.stroke), "\" stroke-width=\"",
                    Coord(s.stroke_width), "\"");
    if (!s.dash.empty()) absl::StrAppend(&out, " stroke-dasharray=\"", XmlEscape(s.dash), "\"");
  }
  return out;
}

}  // namespace

std::string XmlEscape(absl::string_view text) {
  const std::string valid = grader::SanitizeUtf8(text);
  std::string out;
  out.reserve(valid.size());
  for (char c : valid) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r') {
          out += "\xef\xbf\xbd";
        } else {
          out += c;
        }
    }
  }
  return out;
}

std::string Coord(double v) {
  if (!std::isfinite(v)) return "0";
  std::string s = absl::StrFormat("%.2f", v);
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  if (s == "-0") s = "0";
  return s;
}

std::vector<double> NiceTicks(double lo, double hi, int max_ticks) {
  if (max_ticks < 2) max_ticks = 2;
  if (!(hi > lo)) return {lo};
  const double raw = (hi - lo) / (max_ticks - 1);
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    step = m * mag;
    if (step >= raw) break;
  }
  std::vector<double> ticks;
  const double first = std::floor(lo / step + 1e-9) * step;
  for (double t = first; t < hi + step * 0.999; t += step) {
    ticks.push_back(std::abs(t) < step * 1e-9 ? 0.0 : t);
  }
  return ticks;
}

SeriesLook SeriesLookFor(size_t i) {
  // Okabe & Ito (2008), without yellow (too light on white); ordered so that neighbours
  // differ in lightness too.
  static const char* kColours[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7",
                                   "#000000", "#E69F00", "#56B4E9"};
  static const char* kDashes[] = {"", "7 3", "2 2.5", "9 3 2 3", "4 2", "1 3.5", "12 4"};
  static const MarkerShape kMarkers[] = {MarkerShape::kCircle,      MarkerShape::kSquare,
                                         MarkerShape::kTriangleUp,  MarkerShape::kDiamond,
                                         MarkerShape::kTriangleDown, MarkerShape::kCross};
  return {kColours[i % std::size(kColours)], kDashes[i % std::size(kDashes)],
          kMarkers[i % std::size(kMarkers)]};
}

Svg::Svg(double width, double height, std::string id)
    : width_(width), height_(height), id_(std::move(id)) {}

void Svg::Open(absl::string_view tag, const Style& s) {
  absl::StrAppend(&body_, "<", tag, StyleAttrs(s));
}

void Svg::Line(double x1, double y1, double x2, double y2, const Style& s) {
  Open("line", s);
  absl::StrAppend(&body_, " x1=\"", Coord(x1), "\" y1=\"", Coord(y1), "\" x2=\"", Coord(x2),
                  "\" y2=\"", Coord(y2), "\"/>\n");
}

void Svg::Rect(double x, double y, double w, double h, const Style& s) {
  if (w < 0) {
    x += w;
    w = -w;
  }
  if (h < 0) {
    y += h;
    h = -h;
  }
  Open("rect", s);
  absl::StrAppend(&body_, " x=\"", Coord(x), "\" y=\"", Coord(y), "\" width=\"", Coord(w),
                  "\" height=\"", Coord(h), "\"/>\n");
}

void Svg::Circle(double cx, double cy, double r, const Style& s) {
  Open("circle", s);
  absl::StrAppend(&body_, " cx=\"", Coord(cx), "\" cy=\"", Coord(cy), "\" r=\"", Coord(r),
                  "\"/>\n");
}

void Svg::Polyline(const std::vector<Point>& points, const Style& s) {
  if (points.empty()) return;
  Open("polyline", s);
  absl::StrAppend(&body_, " stroke-linejoin=\"round\" points=\"", Points(points), "\"/>\n");
}

void Svg::Polygon(const std::vector<Point>& points, const Style& s) {
  if (points.empty()) return;
  Open("polygon", s);
  absl::StrAppend(&body_, " stroke-linejoin=\"round\" points=\"", Points(points), "\"/>\n");
}

void Svg::Text(double x, double y, absl::string_view text, const TextStyle& t) {
  absl::StrAppend(&body_, "<text x=\"", Coord(x), "\" y=\"", Coord(y), "\" font-size=\"",
                  Coord(t.size), "\" fill=\"", XmlEscape(t.fill), "\"");
  if (t.anchor != "start") absl::StrAppend(&body_, " text-anchor=\"", XmlEscape(t.anchor), "\"");
  if (t.bold) body_ += " font-weight=\"bold\"";
  if (t.middle_baseline) body_ += " dominant-baseline=\"central\"";
  if (t.halo) {
    body_ += " stroke=\"#ffffff\" stroke-width=\"3\" paint-order=\"stroke\" "
             "stroke-linejoin=\"round\"";
  }
  if (t.rotate != 0) {
    absl::StrAppend(&body_, " transform=\"rotate(", Coord(t.rotate), " ", Coord(x), " ", Coord(y),
                    ")\"");
  }
  absl::StrAppend(&body_, ">", XmlEscape(text), "</text>\n");
}

void Svg::Marker(MarkerShape shape, double x, double y, double size, const Style& s) {
  const double h = size / 2;
  switch (shape) {
    case MarkerShape::kCircle:
      Circle(x, y, h, s);
      return;
    case MarkerShape::kSquare:
      Rect(x - h * 0.9, y - h * 0.9, h * 1.8, h * 1.8, s);
      return;
    case MarkerShape::kTriangleUp:
      Polygon({{x, y - h * 1.15}, {x + h * 1.1, y + h * 0.85}, {x - h * 1.1, y + h * 0.85}}, s);
      return;
    case MarkerShape::kTriangleDown:
      Polygon({{x, y + h * 1.15}, {x + h * 1.1, y - h * 0.85}, {x - h * 1.1, y - h * 0.85}}, s);
      return;
    case MarkerShape::kDiamond:
      Polygon({{x, y - h * 1.25}, {x + h * 1.05, y}, {x, y + h * 1.25}, {x - h * 1.05, y}}, s);
      return;
    case MarkerShape::kCross: {
      // An X drawn as a filled shape, so the fill colour shows as for the other markers.
      const double a = h * 1.1, b = h * 0.38;
      Polygon({{x - a, y - a + b}, {x - a + b, y - a}, {x, y - b}, {x + a - b, y - a},
               {x + a, y - a + b}, {x + b, y}, {x + a, y + a - b}, {x + a - b, y + a},
               {x, y + b}, {x - a + b, y + a}, {x - a, y + a - b}, {x - b, y}},
              s);
      return;
    }
  }
}

std::string Svg::Pattern(absl::string_view name, Hatch hatch, const std::string& colour,
                         const std::string& ink) {
  if (hatch == Hatch::kNone) return colour;
  const std::string pid = absl::StrCat(id_, "-", name);
  if (std::find(pattern_names_.begin(), pattern_names_.end(), pid) == pattern_names_.end()) {
    pattern_names_.push_back(pid);
    std::string lines;
    const std::string stroke =
        absl::StrCat(" stroke=\"", XmlEscape(ink), "\" stroke-width=\"1.6\" fill=\"none\"");
    switch (hatch) {
      case Hatch::kDiagonal:
        lines = absl::StrCat("<path d=\"M-2,2 l4,-4 M0,8 l8,-8 M6,10 l4,-4\"", stroke, "/>");
        break;
      case Hatch::kBackDiagonal:
        lines = absl::StrCat("<path d=\"M-2,6 l4,4 M0,0 l8,8 M6,-2 l4,4\"", stroke, "/>");
        break;
      case Hatch::kCross:
        lines = absl::StrCat("<path d=\"M0,0 l8,8 M8,0 l-8,8\"", stroke, "/>");
        break;
      case Hatch::kDots:
        lines = absl::StrCat("<circle cx=\"4\" cy=\"4\" r=\"1.6\" fill=\"", XmlEscape(ink), "\"/>");
        break;
      case Hatch::kHorizontal:
        lines = absl::StrCat("<path d=\"M0,4 h8\"", stroke, "/>");
        break;
      case Hatch::kVertical:
        lines = absl::StrCat("<path d=\"M4,0 v8\"", stroke, "/>");
        break;
      case Hatch::kNone:
        break;
    }
    absl::StrAppend(&defs_, "<pattern id=\"", pid,
                    "\" patternUnits=\"userSpaceOnUse\" width=\"8\" height=\"8\">"
                    "<rect width=\"8\" height=\"8\" fill=\"",
                    XmlEscape(colour), "\"/>", lines, "</pattern>\n");
  }
  return absl::StrCat("url(#", pid, ")");
}

void Svg::BeginGroup(absl::string_view label) {
  if (label.empty()) {
    body_ += "<g>\n";
  } else {
    absl::StrAppend(&body_, "<g aria-label=\"", XmlEscape(label), "\">\n");
  }
}

void Svg::EndGroup() { body_ += "</g>\n"; }

std::string Svg::Finish(absl::string_view title, absl::string_view description) const {
  std::string out = absl::StrCat(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 ", Coord(width_), " ",
      Coord(height_), "\" width=\"", Coord(width_), "\" height=\"", Coord(height_),
      "\" role=\"img\" aria-labelledby=\"", id_, "-title ", id_, "-desc\" id=\"", id_,
      "\" font-family=\"", XmlEscape(kFontStack), "\">\n<title id=\"", id_, "-title\">",
      XmlEscape(title), "</title>\n<desc id=\"", id_, "-desc\">", XmlEscape(description),
      "</desc>\n");
  if (!defs_.empty()) absl::StrAppend(&out, "<defs>\n", defs_, "</defs>\n");
  absl::StrAppend(&out, "<rect width=\"", Coord(width_), "\" height=\"", Coord(height_),
                  "\" fill=\"#ffffff\"/>\n", body_, "</svg>\n");
  return out;
}

}  // namespace fathom::driver::report
