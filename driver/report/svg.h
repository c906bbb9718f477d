// A small SVG writer for the report pages: shapes, text, markers and hatch patterns, written
// as well-formed XML that can be inlined in HTML or saved as an .svg file. Charts
// (charts.h) are built from these; nothing here knows about benchmarks.
//
// Coordinates are user units of the drawing's viewBox (width x height); the page scales the
// drawing to its column. Every id the drawing defines (patterns) is prefixed with the
// drawing's own id, so several drawings can share one page.
//
// Thread safety: an Svg is used by one thread; the free functions are pure.
#ifndef FATHOM_DRIVER_REPORT_SVG_H_
#define FATHOM_DRIVER_REPORT_SVG_H_

#include <cstddef>
#include <string>
#include "absl/strings/string_view.h"
#include <vector>

namespace fathom::driver::report {

struct Point {
  double x = 0;
  double y = 0;
};

struct Style {
  std::string stroke = "none";
  double stroke_width = 1;
  std::string dash;           // stroke-dasharray; "" = solid
  std::string fill = "none";  // a colour, or a Pattern()'s url(#...)
  double fill_opacity = 1;

  // Chainable setters: Style().Line("#ccc", 1).Fill(colour).
  Style& Line(const std::string& colour, double width, const std::string& dash_array = "") {
    stroke = colour;
    stroke_width = width;
    dash = dash_array;
    return *this;
  }
  Style& Fill(const std::string& colour, double opacity = 1) {
    fill = colour;
    fill_opacity = opacity;
    return *this;
  }
};

struct TextStyle {
  double size = 12;
  std::string anchor = "start";  // start | middle | end
  bool bold = false;
  std::string fill = "#1a1a1a";
  double rotate = 0;             // degrees, about (x, y)
  bool middle_baseline = false;  // vertically centred on y (else y is the baseline)
  bool halo = false;             // a white outline, readable over lines and hatches

  // Chainable setters: TextStyle(11).Anchor("end").Middle().
  explicit TextStyle(double font_size = 12) : size(font_size) {}
  TextStyle& Anchor(const std::string& a) { anchor = a; return *this; }
  TextStyle& Bold() { bold = true; return *this; }
  TextStyle& Colour(const std::string& c) { fill = c; return *this; }
  TextStyle& Rotate(double degrees) { rotate = degrees; return *this; }
  TextStyle& Middle() { middle_baseline = true; return *this; }
  TextStyle& Halo() { halo = true; return *this; }
};

// Marker shapes: besides colour, what tells series apart on a greyscale print.
enum class MarkerShape { kCircle, kSquare, kTriangleUp, kDiamond, kTriangleDown, kCross };

// Hatches for filled areas, for the same reason.
enum class Hatch { kNone, kDiagonal, kBackDiagonal, kCross, kDots, kHorizontal, kVertical };

class Svg {
 public:
  // `id`: [A-Za-z][A-Za-z0-9_-]*, unique on the page.
  Svg(double width, double height, std::string id);

  void Line(double x1, double y1, double x2, double y2, const Style& s);
  void Rect(double x, double y, double w, double h, const Style& s);
  void Circle(double cx, double cy, double r, const Style& s);
  void Polyline(const std::vector<Point>& points, const Style& s);
  void Polygon(const std::vector<Point>& points, const Style& s);
  // `text` is any UTF-8; it is escaped.
  void Text(double x, double y, absl::string_view text, const TextStyle& t);
  // A marker of `size` (its width) centred on (x, y).
  void Marker(MarkerShape shape, double x, double y, double size, const Style& s);
  // Defines (once per name) a fill of `colour` with a `hatch` of `ink` lines over it, and
  // returns the value for Style::fill ("url(#<id>-<name>)"; `colour` itself for kNone).
  std::string Pattern(absl::string_view name, Hatch hatch, const std::string& colour,
                      const std::string& ink);
  // Opens / closes a group (<g>) with an accessible label ("" = none).
  void BeginGroup(absl::string_view label);
  void EndGroup();

  // The drawing: <svg> with role="img", its <title> and <desc> (both escaped), the
  // patterns, then the shapes in the order drawn.
  std::string Finish(absl::string_view title, absl::string_view description) const;

  double width() const { return width_; }
  double height() const { return height_; }
  const std::string& id() const { return id_; }

 private:
  void Open(absl::string_view tag, const Style& s);
  double width_;
  double height_;
  std::string id_;
  std::string defs_;
  std::vector<std::string> pattern_names_;
  std::string body_;
};

// Text for XML / HTML: & < > " ' escaped; invalid UTF-8 replaced (grader/formats/utf8.h);
// control characters other than tab, newline and carriage return (which XML 1.0 forbids)
// become U+FFFD.
std::string XmlEscape(absl::string_view text);

// A coordinate: at most 2 decimals, no trailing zeros ("12", "12.5", "-0.25").
std::string Coord(double v);

// About `max_ticks` round tick values covering [lo, hi] (steps of 1, 2 or 5 x 10^k), from
// the first multiple of the step <= lo to the first >= hi. REQUIRES lo <= hi.
std::vector<double> NiceTicks(double lo, double hi, int max_ticks);

// The look of series i (colour, dash, marker): the Okabe-Ito colours, which stay apart for
// the common colour-vision deficiencies, each with its own dash and marker, which stay
// apart in greyscale.
struct SeriesLook {
  std::string colour;
  std::string dash;
  MarkerShape marker;
};
SeriesLook SeriesLookFor(size_t i);

}  // namespace fathom::driver::report

#endif  // FATHOM_DRIVER_REPORT_SVG_H_
