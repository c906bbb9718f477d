// The SVG writer and the charts: every drawing is well-formed XML (parsed by Python's
// xml.etree, an XML parser we did not write), hostile text stays text, and the shapes and
// words the charts promise are there.
#include "driver/report/svg.h"

#include <string>

#include "driver/report/charts.h"
#include "driver/report/test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace fathom::driver::report {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Parses `xml` with xml.etree and returns {"root", "tags": {tag: count}, "texts": [...],
// "error"}: the tags without their namespace, the text of every <text>, <title>, <desc>.
nlohmann::json ParseXml(const std::string& xml) {
  const std::string program =
      "import json, sys, xml.etree.ElementTree as E\n"
      "try:\n"
      "    root = E.fromstring(sys.stdin.buffer.read())\n"
      "except E.ParseError as e:\n"
      "    print(json.dumps({'error': str(e)})); sys.exit(0)\n"
      "tag = lambda t: t.split('}')[-1]\n"
      "tags = {}\n"
      "texts = []\n"
      "for el in root.iter():\n"
      "    tags[tag(el.tag)] = tags.get(tag(el.tag), 0) + 1\n"
      "    if tag(el.tag) in ('text', 'title', 'desc'): texts.append(el.text or '')\n"
      "print(json.dumps({'root': tag(root.tag), 'tags': tags, 'texts': texts}))\n";
  const fs::path dir = testing::TestDir("svg_test");
  testing::WriteText(dir / "parse.py", program);
  nlohmann::json r = nlohmann::json::parse(testing::RunPython((dir / "parse.py").string(), xml), nullptr, false);
  fs::remove_all(dir);
  return r;
}

int Count(const nlohmann::json& summary, const std::string& tag) {
  return summary["tags"].value(tag, 0);
}

bool HasText(const nlohmann::json& summary, const std::string& text) {
  for (const auto& t : summary["texts"]) {
    if (t.get<std::string>() == text) return true;
  }
  return false;
}

TEST(SvgTest, EscapesTextAndDropsWhatXmlForbids) {
  EXPECT_EQ(XmlEscape("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&#39;");
  EXPECT_EQ(XmlEscape("tab\tnl\nok"), "tab\tnl\nok");
  EXPECT_EQ(XmlEscape(std::string("bell\x07", 5)), "bell\xef\xbf\xbd");
  EXPECT_EQ(XmlEscape("bad \xff byte"), "bad \xef\xbf\xbd byte");
  EXPECT_EQ(XmlEscape("\xe4\xb8\xad\xe6\x96\x87"), "\xe4\xb8\xad\xe6\x96\x87");
}

TEST(SvgTest, CoordinatesAndTicks) {
  EXPECT_EQ(Coord(12), "12");
  EXPECT_EQ(Coord(12.5), "12.5");
  EXPECT_EQ(Coord(-0.25), "-0.25");
  EXPECT_EQ(Coord(1.0049), "1");
  EXPECT_EQ(Coord(-0.001), "0");
  EXPECT_EQ(Coord(1.0 / 0.0), "0");
  EXPECT_THAT(NiceTicks(0, 100, 6), ElementsAre(0, 20, 40, 60, 80, 100));
  EXPECT_THAT(NiceTicks(-43, 13, 7), ElementsAre(-50, -40, -30, -20, -10, 0, 10, 20));
  EXPECT_THAT(NiceTicks(1, 5, 8), ElementsAre(1, 2, 3, 4, 5));
  EXPECT_THAT(NiceTicks(3, 3, 5), ElementsAre(3));
}

TEST(SvgTest, ShapesPatternsAndGroupsMakeOneWellFormedDrawing) {
  Svg svg(200, 100, "t1");
  svg.Line(0, 0, 10, 10, Style().Line("#000", 1, "4 2"));
  svg.Rect(10, 10, -5, -5, Style().Fill("#fff"));
  const std::string hatch = svg.Pattern("h", Hatch::kDiagonal, "#D55E00", "#fff");
  EXPECT_EQ(hatch, "url(#t1-h)");
  EXPECT_EQ(svg.Pattern("h", Hatch::kDiagonal, "#D55E00", "#fff"), hatch);  // defined once
  EXPECT_EQ(svg.Pattern("plain", Hatch::kNone, "#123456", "#fff"), "#123456");
  svg.Rect(0, 0, 5, 5, Style().Fill(hatch));
  svg.BeginGroup("group <1>");
  for (MarkerShape m : {MarkerShape::kCircle, MarkerShape::kSquare, MarkerShape::kTriangleUp,
                        MarkerShape::kDiamond, MarkerShape::kTriangleDown, MarkerShape::kCross}) {
    svg.Marker(m, 50, 50, 8, Style().Fill("#0072B2"));
  }
  svg.EndGroup();
  svg.Text(5, 5, "x < y & \"z\"", TextStyle(11).Anchor("end").Rotate(-45).Halo());
  const std::string xml = svg.Finish("Title & <stuff>", "Description 'quoted'");
  const nlohmann::json s = ParseXml(xml);
  ASSERT_FALSE(s.contains("error")) << s["error"] << "\n" << xml;
  EXPECT_EQ(s["root"], "svg");
  EXPECT_EQ(Count(s, "pattern"), 1);
  EXPECT_EQ(Count(s, "g"), 1);
  EXPECT_EQ(Count(s, "circle"), 1);
  EXPECT_TRUE(HasText(s, "x < y & \"z\""));
  EXPECT_TRUE(HasText(s, "Title & <stuff>"));
  EXPECT_THAT(xml, HasSubstr("role=\"img\""));
  EXPECT_THAT(xml, HasSubstr("width=\"5\" height=\"5\""));  // the negative rect, normalised
}

TEST(ChartsTest, RadarHasARingPerStepAPolygonPerSeriesAndItsNumbersInWords) {
  const std::vector<std::string> axes = {"Knowledge", "Reasoning", "Math <&>", "Coding"};
  const std::vector<RadarSeries> series = {
      {"gpt-4 \"0613\"", {80.0, 70.5, 60.0, 90.0}, 0},
      {"llama", {40.0, std::nullopt, 20.0, 10.0}, 1},
  };
  const std::string xml = RadarChart("radar", "Categories", axes, series, RadarOptions{});
  const nlohmann::json s = ParseXml(xml);
  ASSERT_FALSE(s.contains("error")) << s["error"] << "\n" << xml;
  // 5 rings and a polygon per series (series 1 has 3 of 4 vertices); markers: circles for
  // series 0 (4 + 1 in the legend), squares for series 1 (3 + 1) beside the background.
  EXPECT_EQ(Count(s, "polygon"), 5 + 2);
  EXPECT_EQ(Count(s, "circle"), 4 + 1);
  EXPECT_EQ(Count(s, "rect"), 1 + 3 + 1);
  for (const std::string& a : axes) EXPECT_TRUE(HasText(s, a)) << a;
  EXPECT_TRUE(HasText(s, "gpt-4 \"0613\""));
  const std::string desc = s["texts"][1];
  EXPECT_THAT(desc, HasSubstr("gpt-4 \"0613\": Knowledge 80.0, Reasoning 70.5, Math <&> 60.0, Coding 90.0"));
  EXPECT_THAT(desc, HasSubstr("llama: Knowledge 40.0, Reasoning none, Math <&> 20.0, Coding 10.0"));
}

TEST(ChartsTest, PassAtKCurvesUseALogAxisForManySamples) {
  std::vector<std::pair<int64_t, double>> many;
  for (int64_t k = 1; k <= 100; ++k) many.emplace_back(k, 100.0 * k / (k + 3.0));
  const std::string xml = PassAtKChart("p", "HumanEval", {{"a", many, 0}, {"b", {{1, 10}, {2, 20}}, 1}});
  const nlohmann::json s = ParseXml(xml);
  ASSERT_FALSE(s.contains("error")) << s["error"];
  EXPECT_EQ(Count(s, "polyline"), 2);
  EXPECT_TRUE(HasText(s, "k (samples drawn per task, log scale)"));
  for (const char* tick : {"1", "2", "5", "10", "20", "50", "100"}) EXPECT_TRUE(HasText(s, tick)) << tick;
  EXPECT_THAT(s["texts"][1].get<std::string>(), HasSubstr("a: pass@1 25.0, pass@2 40.0, pass@5 62.5"));
  const nlohmann::json few = ParseXml(PassAtKChart("q", "MBPP", {{"a", {{1, 50}, {2, 75}, {3, 87.5}}, 0}}));
  ASSERT_FALSE(few.contains("error"));
  EXPECT_TRUE(HasText(few, "k (samples drawn per task)"));
}

TEST(ChartsTest, StackedBarsShowSharesAndOnlyTheStatusesThatOccur) {
  const std::vector<StackCategory> cats = {{"passed", "#009E73", Hatch::kNone},
                                           {"failed", "#D55E00", Hatch::kDiagonal},
                                           {"timeout", "#E69F00", Hatch::kDots}};
  const std::string xml = StackedBarChart("s", "Statuses", cats,
                                          {{"model <a>", {6, 3, 1}}, {"model b", {10, 0, 0}}, {"empty", {0, 0, 0}}});
  const nlohmann::json s = ParseXml(xml);
  ASSERT_FALSE(s.contains("error")) << s["error"];
  EXPECT_TRUE(HasText(s, "60.0%"));
  EXPECT_TRUE(HasText(s, "100.0%"));
  EXPECT_TRUE(HasText(s, "model <a>"));
  EXPECT_TRUE(HasText(s, "timeout"));  // legend
  EXPECT_EQ(Count(s, "pattern"), 2);   // failed and timeout are hatched
  EXPECT_THAT(s["texts"][1].get<std::string>(),
              HasSubstr("model <a>: passed 6 (60.0%), failed 3 (30.0%), timeout 1 (10.0%). "
                        "model b: passed 10 (100.0%). empty: no samples"));
  const nlohmann::json only_passed = ParseXml(StackedBarChart("t", "S", cats, {{"m", {4, 0, 0}}}));
  EXPECT_FALSE(HasText(only_passed, "failed"));  // no legend entry for what never happened
}

TEST(ChartsTest, SeesawDrawsABarAndAWhiskerPerBenchmark) {
  const std::vector<SeesawBar> bars = {{"HumanEval", 26.1, 18.0, 34.2, true},
                                       {"MMLU", 0.4, -1.2, 2.0, false},
                                       {"MATH \xe2\x86\x93", -13.0, -17.5, -8.1, true}};
  const std::string xml = SeesawChart("w", "A to B", bars, "change (points)");
  const nlohmann::json s = ParseXml(xml);
  ASSERT_FALSE(s.contains("error")) << s["error"];
  // The background, a bar per benchmark, 4 key swatches and the 2 hatches' own grounds.
  EXPECT_EQ(Count(s, "rect"), 1 + 3 + 4 + 2);
  EXPECT_GE(Count(s, "line"), 3 * 3);  // a whisker and two caps per bar, and the grid
  EXPECT_TRUE(HasText(s, "+26.1"));
  EXPECT_TRUE(HasText(s, "-13.0"));
  EXPECT_TRUE(HasText(s, "MATH \xe2\x86\x93"));
  EXPECT_THAT(s["texts"][1].get<std::string>(),
              HasSubstr("HumanEval +26.1 [18.0, 34.2]; MMLU +0.4 [-1.2, 2.0] (not significant); "
                        "MATH \xe2\x86\x93 -13.0 [-17.5, -8.1]"));
}

TEST(ChartsTest, SeriesLooksDifferInColourDashAndMarker) {
  for (size_t i = 0; i < 6; ++i) {
    for (size_t j = i + 1; j < 6; ++j) {
      const SeriesLook a = SeriesLookFor(i), b = SeriesLookFor(j);
      EXPECT_NE(a.colour, b.colour);
      EXPECT_NE(a.dash, b.dash);
      EXPECT_NE(a.marker, b.marker);
    }
  }
}

}  // namespace
}  // namespace fathom::driver::report
