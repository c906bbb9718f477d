// Shared page pieces (see html.h).
#include "driver/report/html.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "driver/report/svg.h"

namespace fathom::driver::report {
namespace {

// One stylesheet for both pages. Tables read like a paper's (rules above and below, no
// grid), numbers in tabular figures; wide tables and charts scroll inside their own box
// on a narrow screen instead of widening the page; nothing depends on colour alone.
constexpr char kCss[] = R"css(
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1120px; padding: 20px 24px 48px;
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
  "Liberation Sans", "DejaVu Sans", sans-serif; color: #1a1a1a; background: #fff; }
h1 { font-size: 1.6em; margin: 0.2em 0 0.1em; line-height: 1.2; }
h2 { font-size: 1.25em; margin: 2em 0 0.6em; padding-top: 0.6em; border-top: 1px solid #ccc; }
h3 { font-size: 1.05em; margin: 1.4em 0 0.5em; }
p, li { max-width: 75ch; }
.sub { color: #444; margin: 0 0 1em; }
code, pre, .mono { font-family: ui-monospace, "DejaVu Sans Mono", "Liberation Mono", Menlo,
  Consolas, monospace; font-size: 0.88em; }
.scroll { overflow-x: auto; -webkit-overflow-scrolling: touch; max-width: 100%; }
table { border-collapse: collapse; margin: 0.4em 0 1.2em; font-variant-numeric: tabular-nums;
  border-top: 2px solid #1a1a1a; border-bottom: 2px solid #1a1a1a; }
caption { caption-side: top; text-align: left; font-size: 0.92em; color: #333;
  padding: 0 0 0.4em; max-width: 75ch; }
caption b { color: #1a1a1a; }
th, td { padding: 0.3em 0.7em; vertical-align: top; text-align: left; }
thead th { border-bottom: 1px solid #1a1a1a; vertical-align: bottom; }
td.num, th.num { text-align: right; white-space: nowrap; }
tr.cat th { background: #f0f0f0; font-size: 0.8em; letter-spacing: 0.06em;
  text-transform: uppercase; padding-top: 0.45em; border-top: 1px solid #bbb; }
tbody tr:not(.cat):hover { background: #f7f7f7; }
.v { font-weight: 500; }
.ci { display: block; font-size: 0.78em; color: #555; }
.best .v { font-weight: 800; text-decoration: underline; text-decoration-thickness: 2px;
  text-underline-offset: 3px; }
.best-mark { font-size: 0.75em; margin-left: 0.2em; }
.muted { color: #555; }
.small { font-size: 0.86em; }
.runs { margin: 0.6em 0 1em; padding-left: 1.2em; }
.runs li { margin: 0.15em 0; }
.note { border-left: 4px solid #555; background: #f6f6f6; padding: 0.5em 0.9em; margin: 1em 0; }
.warn { border-left: 4px solid #D55E00; background: #fdf1ea; padding: 0.5em 0.9em;
  margin: 1em 0; }
.warn ul, .note ul { margin: 0.3em 0; padding-left: 1.2em; }
figure { margin: 1em 0 1.6em; }
figure svg { display: block; max-width: 100%; height: auto; }
figcaption { font-size: 0.92em; color: #333; margin-top: 0.4em; max-width: 75ch; }
figcaption b { color: #1a1a1a; }
.nw { white-space: nowrap; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(100%, 300px), 1fr));
  gap: 0.5em 1.2em; }
.grid figure { margin: 0; }
.panel { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 460px), 1fr));
  gap: 0.5em 2em; align-items: start; }
.panel > * { min-width: 0; }
.wide svg { max-width: none; }  /* its own size; a narrow window scrolls it */
.up { color: #005a8c; }
.down { color: #a84300; }
.sig { font-weight: 700; }
details { margin: 0.4em 0; }
details > summary { cursor: pointer; padding: 0.25em 0; }
details.flips { border: 1px solid #ccc; border-radius: 4px; padding: 0.2em 0.8em; }
details.flips[open] { padding-bottom: 0.8em; }
.flip { border-top: 1px solid #ddd; padding: 0.6em 0 0.2em; }
.flip h5 { margin: 0.3em 0 0.2em; font-size: 0.92em; }
.answers { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 300px), 1fr));
  gap: 0.4em 1.2em; }
pre { white-space: pre-wrap; word-break: break-word; background: #f6f6f6; border: 1px solid #e2e2e2;
  padding: 0.4em 0.6em; margin: 0.2em 0; max-height: 16em; overflow: auto; }
pre.prompt { max-height: 12em; }
.ok::before { content: "\2713  "; }
.bad::before { content: "\2717  "; }
footer { margin-top: 3em; font-size: 0.85em; color: #555; border-top: 1px solid #ccc;
  padding-top: 0.6em; }
.meta { display: none; font-weight: normal; font-size: 0.78em; color: #555; }
th[scope=row] { position: sticky; left: 0; background: #fff; }
tr.cat th { position: sticky; left: 0; }
@media (max-width: 640px) {
  body { padding: 12px 10px 32px; font-size: 14px; }
  th, td { padding: 0.25em 0.45em; }
  h1 { font-size: 1.35em; }
  .wide-only { display: none; }
  .meta { display: block; white-space: normal; }
  th.nw { white-space: normal; }
}
@media print {
  body { max-width: none; padding: 0; font-size: 10.5pt; }
  h2 { break-after: avoid; }
  figure, table { break-inside: avoid; }
  tbody tr:not(.cat):hover { background: none; }
  .scroll { overflow: visible; }
}
)css";

std::string NoNegativeZero(std::string s) {
  if (s.size() >= 2 && s[0] == '-' && s.find_first_not_of("0.", 1) == std::string::npos) {
    s.erase(0, 1);
  }
  return s;
}

}  // namespace

std::string Points(double fraction) {
  return NoNegativeZero(absl::StrFormat("%.1f", fraction * 100));
}

std::string SignedPoints(double fraction) {
  std::string s = Points(fraction);
  if (s != "0.0" && s[0] != '-') s.insert(0, "+");
  return s;
}

std::string PointsInterval(double low, double high) {
  return absl::StrCat("[", Points(low), ", ", Points(high), "]");
}

std::string PValue(double p) {
  if (p < 0.001) return "<0.001";
  if (p < 0.01) return absl::StrFormat("%.3f", p);
  return absl::StrFormat("%.2f", p);
}

std::string ShortHash(const std::string& hash) {
  return hash.empty() ? "-" : hash.substr(0, 12);
}

std::string HtmlDocument(const std::string& title, const std::string& body) {
  return absl::StrCat(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n"
      "<meta name=\"generator\" content=\"fathom\"/>\n<title>",
      XmlEscape(title), "</title>\n<style>", kCss, "</style>\n</head>\n<body>\n", body,
      "</body>\n</html>\n");
}

std::string Tag(absl::string_view tag, absl::string_view text, absl::string_view css_class) {
  if (css_class.empty()) return absl::StrCat("<", tag, ">", XmlEscape(text), "</", tag, ">");
  return absl::StrCat("<", tag, " class=\"", css_class, "\">", XmlEscape(text), "</", tag, ">");
}

std::string MdCell(absl::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '|') {
      out += "\\|";
    } else if (c == '\n' || c == '\r') {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

std::string MdTable(const std::vector<std::string>& header, const std::string& align,
                    const std::vector<std::vector<std::string>>& rows) {
  std::string out = "|";
  for (const std::string& h : header) absl::StrAppend(&out, " ", MdCell(h), " |");
  out += "\n|";
  for (size_t i = 0; i < header.size(); ++i) {
    out += i < align.size() && align[i] == 'r' ? "---:|" : "---|";
  }
  out += "\n";
  for (const std::vector<std::string>& r : rows) {
    out += "|";
    for (size_t i = 0; i < header.size(); ++i) {
      absl::StrAppend(&out, " ", i < r.size() ? r[i] : "", " |");
    }
    out += "\n";
  }
  return out;
}

void AppendList(const std::vector<std::string>& items, std::string* html, std::string* md) {
  *html += "<ul>\n";
  for (const std::string& item : items) {
    absl::StrAppend(html, "<li>", XmlEscape(item), "</li>\n");
    absl::StrAppend(md, "- ", item, "\n");
  }
  *html += "</ul>";
  *md += "\n";
}

const std::vector<std::string>& CategoryOrder() {
  static const std::vector<std::string> kOrder = {"Knowledge", "Reasoning",    "Comprehension",
                                                  "Math",      "Coding",       "Multilingual",
                                                  "Safety"};
  return kOrder;
}

size_t CategoryRank(const std::string& category) {
  const auto& order = CategoryOrder();
  return static_cast<size_t>(std::find(order.begin(), order.end(), category) - order.begin());
}

}  // namespace fathom::driver::report
