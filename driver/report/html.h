// The pieces both pages share: number formats, the HTML document (one self-contained file:
// inline CSS and SVG, no script, no font or image fetched), table cells and Markdown
// escaping. The HTML is also well-formed XML (every element closed, only XML's entities),
// so a test can parse it with any XML parser.
//
// Pure functions; thread-safe.
#ifndef FATHOM_DRIVER_REPORT_HTML_H_
#define FATHOM_DRIVER_REPORT_HTML_H_

#include <string>
#include "absl/strings/string_view.h"
#include <vector>

namespace fathom::driver::report {

// A fraction as percentage points with one decimal: 0.5333 -> "53.3" (printf's rounding
// of the double x 100; "-0.0" is written "0.0").
std::string Points(double fraction);
// The same with a sign: "+2.5", "-0.4", "0.0".
std::string SignedPoints(double fraction);
// "[25.0, 81.7]"
std::string PointsInterval(double low, double high);
// A p-value: "0.034", "0.71", "<0.001".
std::string PValue(double p);

// The first 12 hex digits of a hash, or "-" for "".
std::string ShortHash(const std::string& hash);

// A whole page: `title` (escaped) and `body` (HTML, used as is) in the shared stylesheet.
std::string HtmlDocument(const std::string& title, const std::string& body);

// An HTML element with escaped text: Tag("td", "a<b", "num") -> <td class="num">a&lt;b</td>.
std::string Tag(absl::string_view tag, absl::string_view text, absl::string_view css_class = "");

// A Markdown table cell: pipes escaped, newlines as spaces.
std::string MdCell(absl::string_view text);
// A Markdown table: header, alignment (one of "l", "r" per column) and rows.
std::string MdTable(const std::vector<std::string>& header, const std::string& align,
                    const std::vector<std::vector<std::string>>& rows);

// Appends `items` as an HTML <ul> (escaped) to *html and as a Markdown list, followed by a
// blank line, to *md.
void AppendList(const std::vector<std::string>& items, std::string* html, std::string* md);

// GPT-Fathom's capability categories in its table's order.
const std::vector<std::string>& CategoryOrder();
// The position of `category` in CategoryOrder(), or its size for unknown ones.
size_t CategoryRank(const std::string& category);

}  // namespace fathom::driver::report

#endif  // FATHOM_DRIVER_REPORT_HTML_H_
