// `fathom compare`'s page (see compare_page.h).
#include "driver/report/compare_page.h"

#include <algorithm>
#include <map>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "driver/report/charts.h"
#include "driver/report/html.h"
#include "driver/report/paired_bootstrap.h"
#include "driver/report/svg.h"

namespace fathom::driver::report {
namespace {

using Json = nlohmann::ordered_json;

constexpr size_t kMaxShownChars = 20000;    // per prompt or answer in the flips
constexpr size_t kMaxShownSamples = 3;      // completions per side of a code flip
constexpr size_t kPromptTail = 900;         // the end of a long prompt, shown open

struct Flip {
  bool a_right = false;  // right in A, wrong in B
  std::string subtask;
  std::string id;
  int64_t a_offset = 0;
  int64_t b_offset = 0;
};

struct Row {
  const BenchmarkEntry* a = nullptr;
  const BenchmarkEntry* b = nullptr;
  double delta = 0;  // B - A, report.json's values
  double gain = 0;   // delta in the better direction
  PairedDelta paired;
  double gain_low = 0, gain_high = 0;  // the paired interval in the better direction
  bool significant = false;
  int64_t right_to_wrong = 0, wrong_to_right = 0;
  std::vector<Flip> flips;  // at most max_flips per direction
};

std::string Key(const std::string& subtask, const std::string& id) {
  return absl::StrCat(subtask, std::string(1, '\0'), id);
}

std::string HashList(const std::vector<std::string>& hashes) {
  std::vector<std::string> s;
  for (const std::string& h : hashes) s.push_back(ShortHash(h));
  return s.empty() ? "none" : absl::StrJoin(s, " ");
}

absl::Status PairUp(const CompareOptions& o, Row* row) {
  absl::StatusOr<std::vector<Item>> ia = ReadItems(row->a->items_path);
  if (!ia.ok()) return ia.status();
  absl::StatusOr<std::vector<Item>> ib = ReadItems(row->b->items_path);
  if (!ib.ok()) return ib.status();
  std::map<std::string, const Item*> in_b;
  for (const Item& it : *ib) in_b[Key(it.subtask, it.id)] = &it;
  std::map<std::string, size_t> strata_index;
  std::vector<std::vector<std::pair<double, double>>> strata;
  for (const Item& x : *ia) {
    auto it = in_b.find(Key(x.subtask, x.id));
    if (it == in_b.end()) continue;
    const Item& y = *it->second;
    auto [s, added] = strata_index.try_emplace(x.subtask, strata.size());
    if (added) strata.emplace_back();
    strata[s->second].emplace_back(x.score, y.score);
    if (x.correct.has_value() && y.correct.has_value() && *x.correct != *y.correct) {
      const bool a_right = *x.correct;
      int64_t& count = a_right ? row->right_to_wrong : row->wrong_to_right;
      if (static_cast<size_t>(count) < o.max_flips) {
        row->flips.push_back({a_right, x.subtask, x.id, x.offset, y.offset});
      }
      ++count;
    }
  }
  row->paired = PairedBootstrap(strata, row->a->aggregation == "macro", o.replicates, o.seed);
  row->delta = row->b->headline.value - row->a->headline.value;
  const double sign = row->a->higher_is_better ? 1 : -1;
  row->gain = sign * row->delta;
  row->gain_low = sign > 0 ? row->paired.low : -row->paired.high;
  row->gain_high = sign > 0 ? row->paired.high : -row->paired.low;
  row->significant = row->paired.pairs > 0 && row->paired.replicates > 0 &&
                     (row->paired.low > 0 || row->paired.high < 0);
  return absl::OkStatus();
}

// The prompt as text: chat messages as "role: content" paragraphs.
std::string PromptText(const Json& p) {
  if (p.is_string()) return p.get<std::string>();
  if (p.is_array()) {
    std::vector<std::string> parts;
    for (const Json& m : p) {
      if (!m.is_object()) continue;
      std::string role = m.value("role", "");
      if (m.contains("name") && m["name"].is_string()) role += " (" + m["name"].get<std::string>() + ")";
      parts.push_back(absl::StrCat(role, ": ", m.contains("content") && m["content"].is_string()
                                                   ? m["content"].get<std::string>()
                                                   : m.value("content", Json()).dump()));
    }
    return absl::StrJoin(parts, "\n\n");
  }
  return p.is_null() ? "" : p.dump();
}

std::string Shown(const std::string& text) {
  if (text.size() <= kMaxShownChars) return text;
  size_t cut = kMaxShownChars;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return absl::StrCat(text.substr(0, cut), "\n\xe2\x80\xa6 (", text.size() - cut, " more bytes)");
}

// The prompt's end open (the item's own question comes last, after the exemplars), the
// whole prompt one click away.
std::string PromptHtml(const std::string& prompt) {
  if (prompt.size() <= kPromptTail) {
    return absl::StrCat("<pre class=\"prompt\">", XmlEscape(prompt), "</pre>");
  }
  size_t start = prompt.size() - kPromptTail;
  const size_t line = prompt.find('\n', start);
  if (line != std::string::npos && line + 1 < prompt.size()) {
    start = line + 1;
  } else {
    while (start < prompt.size() && (static_cast<unsigned char>(prompt[start]) & 0xC0) == 0x80) ++start;
  }
  return absl::StrCat("<p class=\"small muted\">the prompt's last ", prompt.size() - start, " of ",
                      prompt.size(), " bytes:</p><pre class=\"prompt\">", XmlEscape(prompt.substr(start)),
                      "</pre><details><summary>whole prompt</summary><pre class=\"prompt\">",
                      XmlEscape(Shown(prompt)), "</pre></details>");
}

std::string JsonText(const Json& j) {
  if (j.is_string()) return j.get<std::string>();
  if (j.is_null()) return "";
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// One side of a flip: its answer(s), what was extracted, the verdict.
std::string AnswerHtml(const std::string& side, const std::string& label, bool right, const Json& item) {
  std::string out = absl::StrCat("<div><h5 class=\"", right ? "ok" : "bad", "\">", side, " \xc2\xb7 ",
                                 XmlEscape(label), ": ", right ? "right" : "wrong", "</h5>");
  if (item.contains("completion")) {
    const std::string text = JsonText(item["completion"]);
    absl::StrAppend(&out, text.empty() ? "<p class=\"small muted\">(empty completion)</p>"
                                       : absl::StrCat("<pre>", XmlEscape(Shown(text)), "</pre>"));
  } else if (item.contains("completions") && item["completions"].is_array()) {
    const Json& cs = item["completions"];
    for (size_t i = 0; i < cs.size() && i < kMaxShownSamples; ++i) {
      std::string head = absl::StrCat("sample ", i + 1);
      if (item.contains("status") && item["status"].is_array() && i < item["status"].size()) {
        absl::StrAppend(&head, ": ", JsonText(item["status"][i]));
      }
      absl::StrAppend(&out, "<p class=\"small muted\">", XmlEscape(head), "</p><pre>",
                      XmlEscape(Shown(JsonText(cs[i]))), "</pre>");
    }
    if (cs.size() > kMaxShownSamples) {
      absl::StrAppend(&out, "<p class=\"small muted\">", cs.size() - kMaxShownSamples,
                      " more samples in the items file</p>");
    }
  }
  std::vector<std::string> facts;
  if (item.contains("extracted") && !item["extracted"].is_null()) {
    facts.push_back(absl::StrCat("extracted: ", JsonText(item["extracted"])));
  }
  if (item.contains("passed") && item["passed"].is_array()) {
    int64_t c = 0;
    for (const Json& p : item["passed"]) c += p.is_boolean() && p.get<bool>() ? 1 : 0;
    facts.push_back(absl::StrCat("passed ", c, " of ", item["passed"].size()));
  }
  if (item.contains("score") && item["score"].is_number()) {
    facts.push_back(absl::StrFormat("score %.3g", item["score"].get<double>()));
  }
  if (!facts.empty()) {
    absl::StrAppend(&out, "<p class=\"small\">", XmlEscape(absl::StrJoin(facts, " \xc2\xb7 ")), "</p>");
  }
  out += "</div>";
  return out;
}

std::string ShortAnswer(const Json& item) {
  if (item.contains("extracted") && !item["extracted"].is_null()) return JsonText(item["extracted"]);
  if (item.contains("passed") && item["passed"].is_array()) {
    int64_t c = 0;
    for (const Json& p : item["passed"]) c += p.is_boolean() && p.get<bool>() ? 1 : 0;
    return absl::StrCat("passed ", c, "/", item["passed"].size());
  }
  return "";
}

std::string Truncate(const std::string& s, size_t n) {
  if (s.size() <= n) return s;
  size_t cut = n;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return s.substr(0, cut) + "\xe2\x80\xa6";
}

}  // namespace

std::vector<std::string> RunDifferences(const Run& a, const Run& b) {
  std::vector<std::string> out;
  if (a.mode != b.mode) out.push_back(absl::StrCat("mode: A ", a.mode, ", B ", b.mode));
  for (const BenchmarkEntry& x : a.benchmarks) {
    const BenchmarkEntry* y = b.Find(x.name);
    if (y == nullptr) continue;
    if (x.mode != y->mode && a.mode == b.mode) {
      out.push_back(absl::StrCat(x.name, ": mode: A ", x.mode, ", B ", y->mode));
    }
    if (x.data_sha256 != y->data_sha256) {
      out.push_back(absl::StrCat(x.name, ": data files differ (A ", HashList(x.data_sha256), "; B ",
                                 HashList(y->data_sha256), ")"));
    }
    if (x.shots_sha256 != y->shots_sha256) {
      out.push_back(absl::StrCat(x.name, ": few-shot files differ (A ", HashList(x.shots_sha256),
                                 "; B ", HashList(y->shots_sha256), ")"));
    }
    if (!x.definition_sha256.empty() && !y->definition_sha256.empty()) {
      if (x.definition_sha256 != y->definition_sha256) {
        out.push_back(absl::StrCat(x.name, ": benchmark definitions (template, extractor) differ (A ",
                                   ShortHash(x.definition_sha256), ", B ",
                                   ShortHash(y->definition_sha256), ")"));
      }
    } else if (a.registry_hash != b.registry_hash) {
      // A run from before definitions were hashed: only the whole registry can be compared.
      out.push_back(absl::StrCat(x.name, ": benchmark registries differ (A ", ShortHash(a.registry_hash),
                                 ", B ", ShortHash(b.registry_hash), "), so templates may"));
    }
    if (x.api != y->api) {
      out.push_back(absl::StrCat(x.name, ": prompt forms differ (A ", x.api, ", B ", y->api, ")"));
    }
  }
  return out;
}

absl::StatusOr<Page> BuildCompare(const Run& a, const Run& b, const CompareOptions& o) {
  const std::vector<std::string> differences = RunDifferences(a, b);
  if (!differences.empty() && !o.allow_mismatch) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the runs were not made the same way, so their scores are not comparable:\n  ",
        absl::StrJoin(differences, "\n  "), "\n(--allow-mismatch compares them anyway and says so on the page)"));
  }
  std::vector<Row> rows;
  std::vector<const BenchmarkEntry*> only_a, only_b;
  for (const BenchmarkEntry& x : a.benchmarks) {
    const BenchmarkEntry* y = b.Find(x.name);
    if (y == nullptr) {
      only_a.push_back(&x);
      continue;
    }
    Row row;
    row.a = &x;
    row.b = y;
    if (absl::Status s = PairUp(o, &row); !s.ok()) return s;
    rows.push_back(std::move(row));
  }
  for (const BenchmarkEntry& y : b.benchmarks) {
    if (a.Find(y.name) == nullptr) only_b.push_back(&y);
  }
  std::vector<const Row*> better, worse, same;
  for (const Row& r : rows) {
    (r.gain > 0 ? better : r.gain < 0 ? worse : same).push_back(&r);
  }
  std::stable_sort(better.begin(), better.end(), [](const Row* x, const Row* y) { return x->gain > y->gain; });
  std::stable_sort(worse.begin(), worse.end(), [](const Row* x, const Row* y) { return x->gain < y->gain; });
  auto count_sig = [](const std::vector<const Row*>& v) {
    return std::count_if(v.begin(), v.end(), [](const Row* r) { return r->significant; });
  };

  const std::string title = absl::StrCat(a.label, " \xe2\x86\x92 ", b.label);
  std::string html, md;
  absl::StrAppend(&html, "<header>\n<h1>", XmlEscape(title), "</h1>\n<p class=\"sub\">What changed from run A to run B, benchmark by benchmark: scores \xc3\x97" "100, differences in points, paired bootstrap 95% intervals.</p>\n<ul class=\"runs\">\n");
  absl::StrAppend(&md, "# ", title, "\n\nWhat changed from run A to run B: scores x100, differences in points, paired bootstrap 95% intervals.\n\n");
  for (const auto& [side, run] : {std::pair<const char*, const Run*>{"A", &a}, {"B", &b}}) {
    const std::string facts = absl::StrCat(run->mode, " mode, ", run->benchmarks.size(), " benchmarks, fathom ",
                                           run->fathom_version.empty() ? "?" : run->fathom_version,
                                           ", registry ", ShortHash(run->registry_hash));
    absl::StrAppend(&html, "<li><b>", side, " = ", XmlEscape(run->label), "</b>: <code>", XmlEscape(run->path),
                    "</code> <span class=\"muted\">(", XmlEscape(facts), ")</span></li>\n");
    absl::StrAppend(&md, "- **", side, " = ", MdCell(run->label), "**: `", run->path, "` (", facts, ")\n");
  }
  html += "</ul>\n</header>\n";
  md += "\n";
  if (!differences.empty()) {
    html += "<div class=\"warn\"><b>Not like for like</b> (compared with --allow-mismatch): the "
            "runs differ in ways that move scores by themselves.";
    md += "**Not like for like** (compared with --allow-mismatch):\n\n";
    AppendList(differences, &html, &md);
    html += "</div>\n";
  }
  const std::string summary = absl::StrFormat(
      "B is better on %d benchmark%s (%d significant), worse on %d (%d significant)%s, out of %d "
      "both runs have.",
      better.size(), better.size() == 1 ? "" : "s", count_sig(better), worse.size(), count_sig(worse),
      same.empty() ? "" : absl::StrCat(", unchanged on ", same.size()), rows.size());
  absl::StrAppend(&html, "<p class=\"note\">", XmlEscape(summary),
                  " Significant: the paired 95% interval of the difference excludes zero.</p>\n");
  absl::StrAppend(&md, summary, " Significant: the paired 95% interval excludes zero.\n\n");

  // The seesaw: better first, largest first; then unchanged; then worse, largest last.
  std::vector<const Row*> order = better;
  order.insert(order.end(), same.begin(), same.end());
  order.insert(order.end(), worse.rbegin(), worse.rend());
  if (!order.empty()) {
    std::vector<SeesawBar> bars;
    for (const Row* r : order) {
      bars.push_back({absl::StrCat(r->a->title, r->a->higher_is_better ? "" : " \xe2\x86\x93"),
                      r->gain * 100, r->gain_low * 100, r->gain_high * 100, r->significant});
    }
    absl::StrAppend(
        &html, "<section id=\"seesaw\">\n<h2>The seesaw</h2>\n<figure class=\"scroll wide\">",
        SeesawChart("seesaw-chart", absl::StrCat("Change from ", a.label, " to ", b.label), bars,
                    "change (points, up = better)"),
        "<figcaption><b>Figure 1.</b> Change of each benchmark's score from A (",
        XmlEscape(a.label), ") to B (", XmlEscape(b.label),
        "), in points, drawn so that up is better (for \xe2\x86\x93 benchmarks, where lower is "
        "better, a fall is drawn up). Whiskers: paired bootstrap 95% interval. Solid bars: the "
        "interval excludes zero; hatched bars: it does not.</figcaption></figure>\n</section>\n");
  }

  // The tables.
  int table_no = 0;
  auto table = [&](const std::string& heading, const std::string& id, const std::vector<const Row*>& list,
                   const std::string& caption) {
    if (list.empty()) return;
    ++table_no;
    absl::StrAppend(&html, "<h3 id=\"", id, "\">", XmlEscape(heading), " (", list.size(), ")</h3>\n",
                    "<div class=\"scroll\">\n<table class=\"deltas\" id=\"table-", id, "\">\n<caption><b>Table ",
                    table_no, ".</b> ", caption, "</caption>\n<thead><tr><th scope=\"col\">Benchmark</th>"
                    "<th scope=\"col\" class=\"wide-only\">Setting</th><th scope=\"col\" class=\"wide-only\">Metric</th>"
                    "<th scope=\"col\" class=\"num\">A</th><th scope=\"col\" class=\"num\">B</th>"
                    "<th scope=\"col\" class=\"num\">\xce\x94</th>"
                    "<th scope=\"col\" class=\"num\">95% CI</th>"
                    "<th scope=\"col\" class=\"num\">p</th><th scope=\"col\" class=\"num wide-only\">pairs</th>"
                    "<th scope=\"col\" class=\"num wide-only\">right\xe2\x86\x92wrong</th>"
                    "<th scope=\"col\" class=\"num wide-only\">wrong\xe2\x86\x92right</th></tr></thead>\n<tbody>\n");
    absl::StrAppend(&md, "### ", heading, " (", list.size(), ")\n\n");
    std::vector<std::vector<std::string>> md_rows;
    for (const Row* r : list) {
      const bool up = r->gain > 0, down = r->gain < 0;
      const std::string arrow = up ? "\xe2\x96\xb2 " : down ? "\xe2\x96\xbc " : "";
      const std::string delta = SignedPoints(r->delta);
      const std::string ci = r->paired.pairs > 0 ? PointsInterval(r->paired.low, r->paired.high) : "\xe2\x80\x94";
      const std::string p = r->paired.pairs > 0 && r->paired.replicates > 0 ? PValue(r->paired.p_value) : "\xe2\x80\x94";
      const std::string setting = r->a->setting.empty() ? absl::StrCat(r->a->shots, "-shot") : r->a->setting;
      absl::StrAppend(&html, "<tr data-bench=\"", XmlEscape(r->a->name), "\"><th scope=\"row\" class=\"nw\">",
                      XmlEscape(r->a->title), r->a->higher_is_better ? "" : " \xe2\x86\x93",
                      "<span class=\"meta\">",
                      XmlEscape(absl::StrCat(setting, " \xc2\xb7 ", r->a->metric, " \xc2\xb7 ", r->paired.pairs,
                                             " pairs \xc2\xb7 ", r->right_to_wrong, " right\xe2\x86\x92wrong, ",
                                             r->wrong_to_right, " wrong\xe2\x86\x92right")),
                      "</span></th>", Tag("td", setting, "nw wide-only"), Tag("td", r->a->metric, "wide-only"),
                      "<td class=\"num\" data-col=\"a\"><span class=\"v\">", Points(r->a->headline.value),
                      "</span></td><td class=\"num\" data-col=\"b\"><span class=\"v\">",
                      Points(r->b->headline.value), "</span></td><td class=\"num",
                      up ? " up" : down ? " down" : "", r->significant ? " sig" : "",
                      "\" data-col=\"delta\">", arrow, "<span class=\"v\">", delta, "</span></td>",
                      "<td class=\"num\" data-col=\"ci\">", ci, "</td><td class=\"num\" data-col=\"p\">", XmlEscape(p),
                      "</td>", Tag("td", absl::StrCat(r->paired.pairs), "num wide-only"),
                      Tag("td", absl::StrCat(r->right_to_wrong), "num wide-only"),
                      Tag("td", absl::StrCat(r->wrong_to_right), "num wide-only"), "</tr>\n");
      md_rows.push_back({MdCell(absl::StrCat(r->a->title, r->a->higher_is_better ? "" : " \xe2\x86\x93")),
                         MdCell(setting), MdCell(r->a->metric), Points(r->a->headline.value),
                         Points(r->b->headline.value),
                         absl::StrCat(r->significant ? "**" : "", delta, r->significant ? "**" : ""), ci, p,
                         absl::StrCat(r->paired.pairs), absl::StrCat(r->right_to_wrong),
                         absl::StrCat(r->wrong_to_right)});
    }
    html += "</tbody>\n</table>\n</div>\n";
    absl::StrAppend(&md, MdTable({"Benchmark", "Setting", "Metric", "A", "B", "Δ (B−A)", "95% CI of Δ", "p",
                                  "pairs", "right→wrong", "wrong→right"},
                                 "lllrrrrrrrr", md_rows),
                    "\n");
  };
  const std::string caption =
      "Scores \xc3\x97" "100 (report.json's); \xce\x94 = B \xe2\x88\x92 A in points, bold when "
      "significant; its 95% interval and two-sided p from a paired bootstrap over the items both runs scored ("
      "<i>pairs</i>), stratified by sub-task; flips count items whose verdict changed.";
  html += "<section id=\"deltas\">\n<h2>Benchmark by benchmark</h2>\n";
  md += "## Benchmark by benchmark\n\n";
  table("B better", "better", better, caption);
  table("B worse", "worse", worse, caption);
  table("Unchanged", "unchanged", same, caption);
  if (rows.empty()) {
    html += "<p>The runs have no benchmark in common.</p>\n";
    md += "The runs have no benchmark in common.\n\n";
  }
  for (const auto& [side, list, run] :
       {std::tuple<const char*, const std::vector<const BenchmarkEntry*>*, const Run*>{"A", &only_a, &a},
        {"B", &only_b, &b}}) {
    if (list->empty()) continue;
    std::vector<std::string> names;
    for (const BenchmarkEntry* e : *list) names.push_back(absl::StrCat(e->title, " (", Points(e->headline.value), ")"));
    const std::string text = absl::StrCat("Only in ", side, " (", run->label, "), not compared: ",
                                          absl::StrJoin(names, ", "), ".");
    absl::StrAppend(&html, "<p class=\"note\" id=\"only-", side == std::string("A") ? "a" : "b", "\">",
                    XmlEscape(text), "</p>\n");
    absl::StrAppend(&md, text, "\n\n");
  }
  html += "</section>\n";

  // Flips.
  bool any_flips = false;
  for (const Row& r : rows) any_flips = any_flips || !r.flips.empty();
  if (any_flips) {
    html += "<section id=\"flips\">\n<h2>Items that flipped</h2>\n<p>Items right in one run and "
            "wrong in the other (GPT-Fathom's match verdict; for code, every sample passed), "
            "with the prompt and both answers. Click a benchmark to open it.</p>\n";
    md += "## Items that flipped\n\n";
    for (const Row* r : order) {
      if (r->flips.empty()) continue;
      absl::StrAppend(&html, "<details class=\"flips\" id=\"flips-", XmlEscape(r->a->name), "\"><summary><b>",
                      XmlEscape(r->a->title), "</b>: ", r->right_to_wrong, " right\xe2\x86\x92wrong, ",
                      r->wrong_to_right, " wrong\xe2\x86\x92right</summary>\n");
      absl::StrAppend(&md, "### ", r->a->title, ": ", r->right_to_wrong, " right→wrong, ", r->wrong_to_right,
                      " wrong→right\n\n");
      for (const bool a_right : {true, false}) {
        const int64_t total = a_right ? r->right_to_wrong : r->wrong_to_right;
        if (total == 0) continue;
        const std::string heading = a_right ? "Right in A, wrong in B" : "Wrong in A, right in B";
        absl::StrAppend(&html, "<h4>", heading, " (", total, ")</h4>\n");
        for (const Flip& f : r->flips) {
          if (f.a_right != a_right) continue;
          absl::StatusOr<Json> x = ReadItemAt(r->a->items_path, f.a_offset);
          if (!x.ok()) return x.status();
          absl::StatusOr<Json> y = ReadItemAt(r->b->items_path, f.b_offset);
          if (!y.ok()) return y.status();
          const std::string where = f.subtask.empty() ? f.id : absl::StrCat(f.subtask, " / ", f.id);
          std::string expected;
          if (x->contains("expected") && !(*x)["expected"].is_null()) expected = JsonText((*x)["expected"]);
          absl::StrAppend(&html, "<div class=\"flip\"><p><b class=\"mono\">", XmlEscape(where), "</b>",
                          expected.empty() ? "" : absl::StrCat(" \xc2\xb7 expected <code>", XmlEscape(Truncate(expected, 500)), "</code>"),
                          "</p>", PromptHtml(PromptText(x->value("prompt", Json()))),
                          "<div class=\"answers\">", AnswerHtml("A", a.label, a_right, *x),
                          AnswerHtml("B", b.label, !a_right, *y), "</div></div>\n");
          absl::StrAppend(&md, "- `", MdCell(where), "`", expected.empty() ? "" : absl::StrCat(": expected `", MdCell(Truncate(expected, 80)), "`"),
                          "; A ", a_right ? "✓" : "✗", " `", MdCell(Truncate(ShortAnswer(*x), 80)), "`; B ",
                          a_right ? "✗" : "✓", " `", MdCell(Truncate(ShortAnswer(*y), 80)), "`\n");
        }
        const int64_t shown = std::min<int64_t>(total, static_cast<int64_t>(o.max_flips));
        if (total > shown) {
          absl::StrAppend(&html, "<p class=\"muted\">", total - shown, " more not listed (--max-flips ",
                          o.max_flips, "); every item is in the items files.</p>\n");
          absl::StrAppend(&md, "- ... ", total - shown, " more not listed\n");
        }
      }
      html += "</details>\n";
      md += "\n";
    }
    html += "</section>\n";
  }

  const std::string method = absl::StrFormat(
      "Paired bootstrap: %d resamples (seed %d) of the items both runs scored, paired by sub-task "
      "and id, each sub-task resampled within itself; the statistic is the headline's own "
      "aggregation (the mean over sub-tasks of the mean difference where the benchmark is "
      "macro-averaged, else the mean difference). Interval: the 2.5th and 97.5th percentiles. "
      "p: twice the smaller share of resamples at or beyond zero on either side, with +1 "
      "correction.",
      o.replicates, o.seed);
  absl::StrAppend(&html, "<section id=\"method\">\n<h2>Method</h2>\n<p class=\"small\">", XmlEscape(method),
                  " A and B are report.json's headline values; \xce\x94 = B \xe2\x88\x92 A.</p>\n</section>\n",
                  "<footer>", XmlEscape(o.generator), ". Scores from the runs' report.json; intervals, "
                  "p-values and flips from their items files.</footer>\n");
  absl::StrAppend(&md, "## Method\n\n", method, "\n\n---\n", o.generator, "\n");
  return Page{HtmlDocument(title, html), md};
}

}  // namespace fathom::driver::report
