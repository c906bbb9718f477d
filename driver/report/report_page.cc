// `fathom report`'s page (see report_page.h).
#include "driver/report/report_page.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "driver/report/charts.h"
#include "driver/report/html.h"
#include "driver/report/svg.h"

namespace fathom::driver::report {
namespace {

// The benchmarks of all runs: each run's order kept, a benchmark only some runs have placed
// after the one it follows there; then grouped by category (stable).
std::vector<const BenchmarkEntry*> BenchmarkRows(const std::vector<Run>& runs) {
  std::vector<const BenchmarkEntry*> rows;
  auto index_of = [&](const std::string& name) {
    for (size_t i = 0; i < rows.size(); ++i) {
      if (rows[i]->name == name) return static_cast<int>(i);
    }
    return -1;
  };
  for (const Run& run : runs) {
    int after = -1;
    for (const BenchmarkEntry& b : run.benchmarks) {
      const int at = index_of(b.name);
      if (at >= 0) {
        after = at;
        continue;
      }
      rows.insert(rows.begin() + (after + 1), &b);
      after += 1;
    }
  }
  // GPT-Fathom's categories in its order; any other after them, in order of appearance.
  std::map<std::string, size_t> rank;
  for (const BenchmarkEntry* r : rows) {
    rank.try_emplace(r->category, CategoryRank(r->category) + rank.size());
  }
  for (auto& [category, k] : rank) {
    if (CategoryRank(category) < CategoryOrder().size()) k = CategoryRank(category);
  }
  std::stable_sort(rows.begin(), rows.end(), [&](const BenchmarkEntry* a, const BenchmarkEntry* b) {
    return rank[a->category] < rank[b->category];
  });
  return rows;
}

std::string Direction(const BenchmarkEntry& b) { return b.higher_is_better ? "" : " \xe2\x86\x93"; }

// What differs about one benchmark between runs, in words ("" when nothing does).
std::vector<std::string> Differences(const std::vector<Run>& runs, const std::string& name) {
  std::vector<std::string> out;
  std::set<std::string> modes, apis, data, defs;
  int present = 0;
  for (const Run& r : runs) {
    const BenchmarkEntry* b = r.Find(name);
    if (b == nullptr) continue;
    ++present;
    modes.insert(b->mode);
    apis.insert(b->api);
    data.insert(absl::StrJoin(b->data_sha256, ","));
    defs.insert(b->definition_sha256.empty() ? absl::StrCat("registry:", r.registry_hash)
                                             : b->definition_sha256);
  }
  if (present < 2) return out;
  if (modes.size() > 1) out.push_back(absl::StrCat("modes differ (", absl::StrJoin(modes, ", "), ")"));
  if (data.size() > 1) out.push_back("data files differ");
  if (defs.size() > 1) out.push_back("benchmark definitions (templates, extractors) differ");
  if (apis.size() > 1) out.push_back(absl::StrCat("prompt forms differ (", absl::StrJoin(apis, ", "), ")"));
  return out;
}

struct CategoryMean {
  std::optional<double> mean;  // percentage points
  int count = 0;
  std::vector<std::string> names;
};

// Per run and category: the unweighted mean of the headline values (x100) of the
// category's higher-is-better benchmarks.
std::vector<std::map<std::string, CategoryMean>> CategoryMeans(const std::vector<Run>& runs) {
  std::vector<std::map<std::string, CategoryMean>> out(runs.size());
  for (size_t i = 0; i < runs.size(); ++i) {
    std::map<std::string, double> sums;
    for (const BenchmarkEntry& b : runs[i].benchmarks) {
      if (!b.higher_is_better) continue;
      CategoryMean& c = out[i][b.category];
      sums[b.category] += b.headline.value * 100;
      ++c.count;
      c.names.push_back(b.title);
    }
    for (auto& [cat, c] : out[i]) c.mean = sums[cat] / c.count;
  }
  return out;
}

std::vector<std::string> Categories(const std::vector<std::map<std::string, CategoryMean>>& means) {
  std::set<std::string> seen;
  for (const auto& m : means) {
    for (const auto& [cat, c] : m) seen.insert(cat);
  }
  std::vector<std::string> out(seen.begin(), seen.end());
  std::stable_sort(out.begin(), out.end(), [](const std::string& a, const std::string& b) {
    return CategoryRank(a) < CategoryRank(b);
  });
  return out;
}

// The k shown in pass@k tables: every k up to 10; beyond, 1, 2, 5, 10, 20, 50, 100, ...
// up to n, and n itself.
std::vector<int64_t> TableKs(int64_t n) {
  std::vector<int64_t> ks;
  if (n <= 10) {
    for (int64_t k = 1; k <= n; ++k) ks.push_back(k);
    return ks;
  }
  for (int64_t base = 1; base <= n; base *= 10) {
    for (int64_t m : {1, 2, 5}) {
      if (base * m <= n) ks.push_back(base * m);
    }
  }
  if (ks.empty() || ks.back() != n) ks.push_back(n);
  return ks;
}

std::optional<double> CurveAt(const CodeSeries& s, int64_t k) {
  for (const auto& [kk, v] : s.curve) {
    if (kk == k) return v;
  }
  return std::nullopt;
}

std::string Slug(const std::string& text) {
  std::string out;
  for (char c : text) {
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
      out += c;
    } else if (c >= 'A' && c <= 'Z') {
      out += static_cast<char>(c - 'A' + 'a');
    } else if (!out.empty() && out.back() != '-') {
      out += '-';
    }
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out.empty() ? "x" : out;
}

const std::vector<StackCategory>& StatusLooks() {
  static const std::vector<StackCategory> kLooks = {
      {"passed", "#009E73", Hatch::kNone},     {"failed", "#D55E00", Hatch::kDiagonal},
      {"timeout", "#E69F00", Hatch::kDots},    {"memory", "#0072B2", Hatch::kCross},
      {"violation", "#CC79A7", Hatch::kHorizontal}, {"other", "#7f7f7f", Hatch::kVertical}};
  return kLooks;
}

std::vector<int64_t> BucketCounts(const CodeSeries& s) {
  std::vector<int64_t> counts(StatusBuckets().size(), 0);
  for (const auto& [status, n] : s.statuses) counts[StatusBucket(status)] += n;
  return counts;
}

class Builder {
 public:
  Builder(const ReportData& data, std::string title, std::string generator)
      : data_(data), title_(std::move(title)), generator_(std::move(generator)) {
    for (const Run& r : data_.runs) Look(r.label);
    for (const CodeSeries& s : data_.code) Look(s.label);
  }

  Page Build() {
    Header();
    ResultsTable();
    CategorySection();
    CodeSection();
    NotesSection();
    absl::StrAppend(&html_, "<footer>", XmlEscape(generator_),
                    ". Every value is read from the runs' report.json (benchmark values and "
                    "their 95% bootstrap intervals) or, for pass@k at each k and the status "
                    "mix, from the per-sample verdicts in the items and results files, with "
                    "the grader's own pass@k estimator.</footer>\n");
    absl::StrAppend(&md_, "\n---\n", generator_,
                    ". Values from the runs' report.json; pass@k at each k and status counts "
                    "from the per-sample verdicts (the grader's estimator).\n");
    return {HtmlDocument(title_, html_), md_};
  }

 private:
  size_t Look(const std::string& label) {
    auto it = std::find(looks_.begin(), looks_.end(), label);
    if (it != looks_.end()) return static_cast<size_t>(it - looks_.begin());
    looks_.push_back(label);
    return looks_.size() - 1;
  }
  std::string Figure(const std::string& caption_lead, const std::string& caption) {
    ++figures_;
    return absl::StrCat("<figcaption><b>Figure ", figures_, ".</b> ", XmlEscape(caption_lead),
                        caption.empty() ? "" : " ", XmlEscape(caption), "</figcaption>");
  }
  std::string Caption(const std::string& text) {
    ++tables_;
    return absl::StrCat("<caption><b>Table ", tables_, ".</b> ", text, "</caption>");
  }

  void Header() {
    const std::vector<const BenchmarkEntry*> rows = BenchmarkRows(data_.runs);
    absl::StrAppend(&html_, "<header>\n<h1>", XmlEscape(title_), "</h1>\n<p class=\"sub\">");
    std::vector<std::string> facts;
    if (!data_.runs.empty()) {
      facts.push_back(absl::StrCat(data_.runs.size(), data_.runs.size() == 1 ? " run" : " runs",
                                   " of ", rows.size(),
                                   rows.size() == 1 ? " benchmark" : " benchmarks"));
    }
    if (!data_.code.empty()) {
      std::set<std::string> panels;
      for (const CodeSeries& s : data_.code) panels.insert(s.panel);
      facts.push_back(absl::StrCat(panels.size(), panels.size() == 1 ? " code panel" : " code panels"));
    }
    if (!data_.runs.empty()) {
      facts.push_back("scores \xc3\x97" "100 with 95% bootstrap confidence intervals");
    }
    absl::StrAppend(&html_, XmlEscape(absl::StrJoin(facts, " \xc2\xb7 ")), "</p>\n<ul class=\"runs\">\n");
    absl::StrAppend(&md_, "# ", title_, "\n\n", absl::StrJoin(facts, " · "), ".\n\n");
    for (const Run& r : data_.runs) {
      const std::string facts_text = absl::StrCat(
          r.mode.empty() ? "" : absl::StrCat(r.mode, " mode, "), r.benchmarks.size(),
          " benchmarks, fathom ", r.fathom_version.empty() ? "?" : r.fathom_version,
          ", registry ", ShortHash(r.registry_hash));
      absl::StrAppend(&html_, "<li><b>", XmlEscape(r.label), "</b>: <code>", XmlEscape(r.path),
                      "</code> <span class=\"muted\">(", XmlEscape(facts_text), ")</span></li>\n");
      absl::StrAppend(&md_, "- **", MdCell(r.label), "**: `", r.path, "` (", facts_text, ")\n");
    }
    std::set<std::string> files;
    for (const CodeSeries& s : data_.code) {
      if (s.source.size() >= 12 && s.source.compare(s.source.size() - 12, 12, ".items.jsonl") == 0) continue;
      if (!files.insert(s.source).second) continue;
      absl::StrAppend(&html_, "<li><b>", XmlEscape(s.label), "</b>: <code>", XmlEscape(s.source),
                      "</code> <span class=\"muted\">(fathom grade results)</span></li>\n");
      absl::StrAppend(&md_, "- **", MdCell(s.label), "**: `", s.source, "` (fathom grade results)\n");
    }
    html_ += "</ul>\n</header>\n";
    md_ += "\n";
  }

  void ResultsTable() {
    const std::vector<Run>& runs = data_.runs;
    if (runs.empty()) return;
    const std::vector<const BenchmarkEntry*> rows = BenchmarkRows(runs);
    absl::StrAppend(&html_, "<section id=\"results\">\n<h2>Results by benchmark</h2>\n");
    absl::StrAppend(&md_, "## Results by benchmark\n\n");
    const std::string caption =
        "Headline score of each benchmark (\xc3\x97" "100) and, below it, its 95% bootstrap "
        "confidence interval. The best score in each row is <u>bold and underlined</u> and "
        "marked \xe2\x96\xb2; \xe2\x86\x93 marks a benchmark where lower is better. Setting "
        "and metric as GPT-Fathom reports them; macro-averaged over sub-tasks where a "
        "benchmark has them.";
    absl::StrAppend(&html_, "<div class=\"scroll\">\n<table class=\"results\">\n", Caption(caption),
                    "\n<thead><tr><th scope=\"col\">Benchmark</th><th scope=\"col\" class=\"wide-only\">Setting</th>"
                    "<th scope=\"col\" class=\"wide-only\">Metric</th><th scope=\"col\" class=\"num wide-only\">n</th>");
    for (const Run& r : runs) {
      absl::StrAppend(&html_, "<th scope=\"col\" class=\"num\">", XmlEscape(r.label), "</th>");
    }
    html_ += "</tr></thead>\n<tbody>\n";
    std::vector<std::string> md_header = {"Category", "Benchmark", "Setting", "Metric", "n"};
    std::string md_align = "lllll";
    for (const Run& r : runs) {
      md_header.push_back(r.label);
      md_align += "r";
    }
    md_align[4] = 'r';
    std::vector<std::vector<std::string>> md_rows;
    std::string category = "\x01";
    for (const BenchmarkEntry* row : rows) {
      if (row->category != category) {
        category = row->category;
        absl::StrAppend(&html_, "<tr class=\"cat\"><th colspan=\"", 4 + runs.size(),
                        "\" scope=\"rowgroup\">", XmlEscape(category), "</th></tr>\n");
      }
      // Best: the highest (lowest, for lower-is-better) value among the runs that have it.
      std::optional<double> best;
      int present = 0;
      std::set<int64_t> ns;
      for (const Run& r : runs) {
        const BenchmarkEntry* b = r.Find(row->name);
        if (b == nullptr) continue;
        ++present;
        ns.insert(b->headline.n);
        const double v = b->headline.value;
        if (!best || (row->higher_is_better ? v > *best : v < *best)) best = v;
      }
      const std::string n_text = ns.size() == 1 ? absl::StrCat(*ns.begin()) : "varies";
      const std::string setting = row->setting.empty() ? absl::StrCat(row->shots, "-shot") : row->setting;
      // Setting, metric and n have columns of their own; a narrow screen hides those and
      // shows the same text under the benchmark's name instead.
      absl::StrAppend(&html_, "<tr data-bench=\"", XmlEscape(row->name), "\"><th scope=\"row\" class=\"nw\">",
                      XmlEscape(row->title), XmlEscape(Direction(*row)), "<span class=\"meta\">",
                      XmlEscape(absl::StrCat(setting, " \xc2\xb7 ", row->metric, " \xc2\xb7 n=", n_text)),
                      "</span></th>", Tag("td", setting, "nw wide-only"),
                      Tag("td", row->metric, "wide-only"), Tag("td", n_text, "num wide-only"));
      std::vector<std::string> md = {MdCell(row->category), MdCell(row->title + Direction(*row)),
                                     MdCell(setting), MdCell(row->metric), n_text};
      for (size_t i = 0; i < runs.size(); ++i) {
        const BenchmarkEntry* b = runs[i].Find(row->name);
        if (b == nullptr) {
          absl::StrAppend(&html_, "<td class=\"num na\" data-run=\"", i,
                          "\"><span class=\"muted\" title=\"not in this run\">\xe2\x80\x94</span></td>");
          md.push_back("\xe2\x80\x94");
          continue;
        }
        const bool is_best = present > 1 && b->headline.value == *best;
        const std::string v = Points(b->headline.value);
        const std::string ci = PointsInterval(b->headline.low, b->headline.high);
        absl::StrAppend(&html_, "<td class=\"num", is_best ? " best" : "", "\" data-run=\"", i,
                        "\"><span class=\"v\">", v, "</span>",
                        is_best ? "<span class=\"best-mark\" aria-label=\"best\">\xe2\x96\xb2</span>" : "",
                        "<span class=\"ci\">", ci, "</span></td>");
        md.push_back(absl::StrCat(is_best ? "**" : "", v, is_best ? "**" : "", " ", ci));
      }
      html_ += "</tr>\n";
      md_rows.push_back(std::move(md));
    }
    html_ += "</tbody>\n</table>\n</div>\n";
    absl::StrAppend(&md_, "Headline score (x100) and its 95% bootstrap CI; the best per row in "
                          "bold; \xe2\x86\x93 = lower is better.\n\n",
                    MdTable(md_header, md_align, md_rows), "\n");
    std::vector<std::string> diffs;
    for (const BenchmarkEntry* row : rows) {
      std::vector<std::string> d = Differences(runs, row->name);
      if (!d.empty()) diffs.push_back(absl::StrCat(row->title, ": ", absl::StrJoin(d, "; ")));
    }
    if (!diffs.empty()) {
      html_ += "<div class=\"warn\"><b>Not like for like.</b> These benchmarks were not run the "
               "same way in every run, so their columns are not directly comparable:";
      md_ += "**Not like for like.** These benchmarks were not run the same way in every run:\n\n";
      AppendList(diffs, &html_, &md_);
      html_ += "</div>\n";
    }
    html_ += "</section>\n";
  }

  void CategorySection() {
    const std::vector<Run>& runs = data_.runs;
    if (runs.empty()) return;
    const auto means = CategoryMeans(runs);
    const std::vector<std::string> cats = Categories(means);
    if (cats.empty()) return;
    absl::StrAppend(&html_, "<section id=\"categories\">\n<h2>Capability categories</h2>\n");
    absl::StrAppend(&md_, "## Capability categories\n\n");
    const std::string method =
        "Each axis is the unweighted mean of the category's benchmark scores (\xc3\x97" "100; "
        "benchmarks where lower is better are left out).";
    std::vector<RadarSeries> all;
    for (size_t i = 0; i < runs.size(); ++i) {
      RadarSeries s{runs[i].label, {}, Look(runs[i].label)};
      for (const std::string& c : cats) {
        auto it = means[i].find(c);
        s.values.push_back(it == means[i].end() ? std::nullopt : it->second.mean);
      }
      all.push_back(std::move(s));
    }
    const bool radar = cats.size() >= 3;
    if (radar) {
      // The overlay beside the table of its numbers; one radar per model below.
      absl::StrAppend(&html_, "<div class=\"panel\">\n<figure>",
                      RadarChart("radar-all", "Capability categories, all models", cats, all,
                                 {.radius = 150, .fill = runs.size() == 1, .legend = true, .ring_labels = true}),
                      Figure("Capability profile of every model, overlaid.", method),
                      "</figure>\n<div>\n");
    } else {
      html_ += "<p class=\"muted\">A radar needs at least three categories; the table has the "
               "means.</p>\n";
    }
    CategoryTable(means, cats, method);
    if (radar) {
      html_ += "</div>\n</div>\n";
      if (runs.size() > 1) {
        html_ += "<div class=\"grid\">\n";
        for (size_t i = 0; i < all.size(); ++i) {
          absl::StrAppend(
              &html_, "<figure>",
              RadarChart(absl::StrCat("radar-", i), absl::StrCat("Capability categories, ", all[i].label),
                         cats, {all[i]}, {.radius = 100, .fill = true, .legend = false, .ring_labels = false}),
              Figure(absl::StrCat(all[i].label, "."), ""), "</figure>\n");
        }
        html_ += "</div>\n";
      }
    }
    html_ += "</section>\n";
  }

  // The category means as text (HTML and Markdown).
  void CategoryTable(const std::vector<std::map<std::string, CategoryMean>>& means,
                     const std::vector<std::string>& cats, const std::string& method) {
    const std::vector<Run>& runs = data_.runs;
    absl::StrAppend(&html_, "<div class=\"scroll\">\n<table class=\"categories\">\n",
                    Caption(absl::StrCat(XmlEscape(method),
                                         " In brackets: how many benchmarks the mean covers.")),
                    "\n<thead><tr><th scope=\"col\">Category</th>");
    std::vector<std::string> md_header = {"Category"};
    std::string align = "l";
    for (const Run& r : runs) {
      absl::StrAppend(&html_, "<th scope=\"col\" class=\"num\">", XmlEscape(r.label), "</th>");
      md_header.push_back(r.label);
      align += "r";
    }
    html_ += "</tr></thead>\n<tbody>\n";
    std::vector<std::vector<std::string>> md_rows;
    bool uneven = false;
    for (const std::string& c : cats) {
      absl::StrAppend(&html_, "<tr data-category=\"", XmlEscape(c), "\"><th scope=\"row\">", XmlEscape(c), "</th>");
      std::vector<std::string> md = {MdCell(c)};
      std::set<std::string> covered;
      for (size_t i = 0; i < runs.size(); ++i) {
        auto it = means[i].find(c);
        if (it == means[i].end()) {
          absl::StrAppend(&html_, "<td class=\"num\" data-run=\"", i, "\">\xe2\x80\x94</td>");
          md.push_back("\xe2\x80\x94");
          covered.insert("");
          continue;
        }
        covered.insert(absl::StrJoin(it->second.names, ","));
        const std::string v = absl::StrFormat("%.1f", *it->second.mean);
        absl::StrAppend(&html_, "<td class=\"num\" data-run=\"", i, "\"><span class=\"v\">", v,
                        "</span> <span class=\"muted small\">(", it->second.count, ")</span></td>");
        md.push_back(absl::StrCat(v, " (", it->second.count, ")"));
      }
      uneven = uneven || covered.size() > 1;
      html_ += "</tr>\n";
      md_rows.push_back(std::move(md));
    }
    html_ += "</tbody>\n</table>\n</div>\n";
    absl::StrAppend(&md_, method, " In brackets: how many benchmarks the mean covers.\n\n",
                    MdTable(md_header, align, md_rows), "\n");
    if (uneven) {
      html_ += "<p class=\"note\">Some categories cover different benchmarks in different runs; "
               "their means are not comparable across those runs.</p>\n";
      md_ += "Some categories cover different benchmarks in different runs; their means are not "
             "comparable across those runs.\n\n";
    }
  }

  void CodeSection() {
    if (data_.code.empty()) return;
    std::vector<std::string> panels;
    for (const CodeSeries& s : data_.code) {
      if (std::find(panels.begin(), panels.end(), s.panel) == panels.end()) panels.push_back(s.panel);
    }
    absl::StrAppend(&html_, "<section id=\"code\">\n<h2>Code</h2>\n");
    absl::StrAppend(&md_, "## Code\n\n");
    for (const std::string& panel : panels) {
      std::vector<const CodeSeries*> series;
      for (const CodeSeries& s : data_.code) {
        if (s.panel == panel) series.push_back(&s);
      }
      const std::string slug = Slug(panel);
      absl::StrAppend(&html_, "<h3 id=\"code-", slug, "\">", XmlEscape(panel), "</h3>\n<div class=\"panel\">\n");
      absl::StrAppend(&md_, "### ", panel, "\n\n");
      // pass@k curves.
      std::vector<CurveSeries> curves;
      int64_t max_n = 0;
      for (const CodeSeries* s : series) {
        CurveSeries c{s->label, {}, Look(s->label)};
        for (const auto& [k, v] : s->curve) c.points.emplace_back(k, v * 100);
        curves.push_back(std::move(c));
        if (!s->curve.empty()) max_n = std::max(max_n, s->curve.back().first);
      }
      absl::StrAppend(&html_, "<figure>",
                      PassAtKChart(absl::StrCat("passk-", slug), absl::StrCat(panel, ": pass@k"), curves),
                      Figure(absl::StrCat(panel, ": pass@k for k = 1 to n."),
                             "The unbiased estimator 1 \xe2\x88\x92 C(n\xe2\x88\x92" "c, k)/C(n, k) "
                             "per task, averaged over tasks; n is the number of samples per task."),
                      "</figure>\n");
      // Status mix.
      std::vector<StackCategory> looks = StatusLooks();
      std::vector<StackRow> bars;
      for (const CodeSeries* s : series) bars.push_back({s->label, BucketCounts(*s)});
      absl::StrAppend(&html_, "<figure>",
                      StackedBarChart(absl::StrCat("status-", slug),
                                      absl::StrCat(panel, ": what happened to the samples"), looks, bars),
                      Figure(absl::StrCat(panel, ": what happened to each sample."),
                             "failed includes other exceptions and compile errors; memory is the "
                             "memory limit; violation a forbidden system call."),
                      "</figure>\n</div>\n");
      // The numbers as text: pass@k.
      const std::vector<int64_t> ks = TableKs(std::max<int64_t>(max_n, 1));
      absl::StrAppend(&html_, "<div class=\"scroll\">\n<table class=\"passk\" data-panel=\"",
                      XmlEscape(panel), "\">\n",
                      Caption(absl::StrCat(XmlEscape(panel), ": pass@k (\xc3\x97" "100) at selected k.")),
                      "\n<thead><tr><th scope=\"col\">Model</th><th scope=\"col\" class=\"num\">tasks</th>"
                      "<th scope=\"col\" class=\"num\">n</th>");
      std::vector<std::string> md_header = {"Model", "tasks", "n"};
      std::string align = "lrr";
      for (int64_t k : ks) {
        absl::StrAppend(&html_, "<th scope=\"col\" class=\"num\">pass@", k, "</th>");
        md_header.push_back(absl::StrCat("pass@", k));
        align += "r";
      }
      html_ += "</tr></thead>\n<tbody>\n";
      std::vector<std::vector<std::string>> md_rows;
      for (const CodeSeries* s : series) {
        const int64_t n = s->curve.empty() ? 0 : s->curve.back().first;
        absl::StrAppend(&html_, "<tr><th scope=\"row\">", XmlEscape(s->label), "</th>",
                        Tag("td", absl::StrCat(s->tasks.size()), "num"),
                        Tag("td", absl::StrCat(n), "num"));
        std::vector<std::string> md = {MdCell(s->label), absl::StrCat(s->tasks.size()), absl::StrCat(n)};
        for (int64_t k : ks) {
          const std::optional<double> v = CurveAt(*s, k);
          const std::string text = v ? Points(*v) : "\xe2\x80\x94";
          absl::StrAppend(&html_, "<td class=\"num\" data-k=\"", k, "\">", text, "</td>");
          md.push_back(text);
        }
        html_ += "</tr>\n";
        md_rows.push_back(std::move(md));
      }
      html_ += "</tbody>\n</table>\n</div>\n";
      absl::StrAppend(&md_, "pass@k (x100):\n\n", MdTable(md_header, align, md_rows), "\n");
      // The numbers as text: statuses.
      absl::StrAppend(&html_, "<div class=\"scroll\">\n<table class=\"status\" data-panel=\"",
                      XmlEscape(panel), "\">\n",
                      Caption(absl::StrCat(XmlEscape(panel), ": samples by outcome (count and share); "
                                                            "the last column lists the grader's exact statuses.")),
                      "\n<thead><tr><th scope=\"col\">Model</th><th scope=\"col\" class=\"num\">samples</th>");
      md_header = {"Model", "samples"};
      align = "lr";
      for (const std::string& b : StatusBuckets()) {
        absl::StrAppend(&html_, "<th scope=\"col\" class=\"num\">", b, "</th>");
        md_header.push_back(b);
        align += "r";
      }
      html_ += "<th scope=\"col\">statuses</th></tr></thead>\n<tbody>\n";
      md_header.push_back("statuses");
      align += "l";
      md_rows.clear();
      for (const CodeSeries* s : series) {
        const std::vector<int64_t> counts = BucketCounts(*s);
        int64_t total = 0;
        for (int64_t c : counts) total += c;
        absl::StrAppend(&html_, "<tr><th scope=\"row\">", XmlEscape(s->label), "</th>",
                        Tag("td", absl::StrCat(total), "num"));
        std::vector<std::string> md = {MdCell(s->label), absl::StrCat(total)};
        for (int64_t c : counts) {
          const std::string pct =
              total > 0 ? Points(static_cast<double>(c) / static_cast<double>(total)) : "0.0";
          const std::string text = absl::StrCat(c, " (", pct, "%)");
          absl::StrAppend(&html_, Tag("td", text, "num"));
          md.push_back(text);
        }
        std::vector<std::string> exact;
        for (const auto& [st, n] : s->statuses) exact.push_back(absl::StrCat(st, " ", n));
        absl::StrAppend(&html_, Tag("td", absl::StrJoin(exact, ", "), "small"), "</tr>\n");
        md.push_back(MdCell(absl::StrJoin(exact, ", ")));
        md_rows.push_back(std::move(md));
      }
      html_ += "</tbody>\n</table>\n</div>\n";
      absl::StrAppend(&md_, "Samples by outcome:\n\n", MdTable(md_header, align, md_rows), "\n");
    }
    html_ += "</section>\n";
  }

  void NotesSection() {
    std::vector<std::string> notes;
    for (const Run& r : data_.runs) {
      for (const BenchmarkEntry& b : r.benchmarks) {
        std::vector<std::string> parts;
        if (b.skipped > 0) parts.push_back(absl::StrCat(b.skipped, " rows skipped (bad input)"));
        if (b.missing > 0) parts.push_back(absl::StrCat(b.missing, " rows without a prediction"));
        if (b.out_of_window) parts.push_back("some prompts were sent with fewer shots (out of window)");
        if (!parts.empty()) {
          notes.push_back(absl::StrCat(r.label, ", ", b.title, ": ", absl::StrJoin(parts, "; "),
                                       " (not scored; see report.json)"));
        }
      }
    }
    std::set<std::string> modes;
    for (const Run& r : data_.runs) modes.insert(r.mode);
    if (modes.size() > 1) {
      notes.push_back(absl::StrCat("The runs use different modes (", absl::StrJoin(modes, ", "),
                                   "): strict fixes GPT-Fathom's known scoring bugs, so scores "
                                   "differ by construction."));
    }
    if (notes.empty()) return;
    html_ += "<section id=\"notes\">\n<h2>Notes</h2>\n";
    md_ += "## Notes\n\n";
    AppendList(notes, &html_, &md_);
    html_ += "\n</section>\n";
  }

  const ReportData& data_;
  std::string title_;
  std::string generator_;
  std::vector<std::string> looks_;
  int figures_ = 0;
  int tables_ = 0;
  std::string html_;
  std::string md_;
};

std::vector<std::string> UniqueLabels(std::vector<std::string> labels) {
  std::map<std::string, int> seen;
  for (std::string& l : labels) {
    const int n = ++seen[l];
    if (n > 1) l = absl::StrCat(l, " (", n, ")");
  }
  return labels;
}

}  // namespace

absl::StatusOr<ReportData> LoadReportData(const std::vector<std::string>& paths,
                                          const std::vector<std::string>& labels) {
  ReportData data;
  struct Loaded {
    std::optional<Run> run;
    std::vector<CodeSeries> code;
  };
  std::vector<Loaded> loaded;
  std::vector<std::string> names;
  for (size_t i = 0; i < paths.size(); ++i) {
    const std::string label = i < labels.size() ? labels[i] : "";
    Loaded l;
    if (IsRunDirectory(paths[i])) {
      absl::StatusOr<Run> run = LoadRun(paths[i], label);
      if (!run.ok()) return run.status();
      names.push_back(run->label);
      l.run = *std::move(run);
    } else {
      absl::StatusOr<std::vector<CodeSeries>> code = LoadGradeResults(paths[i], label);
      if (!code.ok()) return code.status();
      names.push_back(code->front().model);
      l.code = *std::move(code);
    }
    loaded.push_back(std::move(l));
  }
  names = UniqueLabels(names);
  for (size_t i = 0; i < loaded.size(); ++i) {
    Loaded& l = loaded[i];
    if (l.run) {
      l.run->label = names[i];
      for (const BenchmarkEntry& b : l.run->benchmarks) {
        if (b.scoring != "code") continue;
        absl::StatusOr<CodeSeries> s = LoadRunCodeSeries(*l.run, b);
        if (!s.ok()) return s.status();
        data.code.push_back(*std::move(s));
      }
      data.runs.push_back(*std::move(l.run));
    } else {
      // A results file's series carry its name; EvalPlus's two add their suffix.
      for (CodeSeries& s : l.code) {
        s.label = names[i] + s.label.substr(s.model.size());
        s.model = names[i];
        data.code.push_back(std::move(s));
      }
    }
  }
  return data;
}

Page BuildReport(const ReportData& data, const std::string& title, const std::string& generator) {
  return Builder(data, title, generator).Build();
}

}  // namespace fathom::driver::report
