// HumanEval-X's languages and their program assembly (see humanevalx.h).
#include "grader/formats/humanevalx.h"

#include <array>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "grader/formats/problems.h"

namespace fathom::grader {
namespace {

// CodeGeeX's IMPORT_HELPER["cpp"], in its order.
constexpr std::array<absl::string_view, 9> kCppHelpers = {
    "#include<stdlib.h>", "#include<algorithm>", "#include<math.h>",
    "#include<stdio.h>",  "#include<vector>",    "#include<string>",
    "#include<climits>",  "#include<cstring>",   "#include<iostream>"};

// CodeGeeX's IMPORT_HELPER["python"], in its order.
constexpr std::array<absl::string_view, 16> kPythonHelpers = {
    "import math",        "import re",          "import sys",        "import copy",
    "import datetime",    "import itertools",   "import collections", "import heapq",
    "import statistics",  "import functools",   "import hashlib",    "import numpy",
    "import numpy as np", "import string",      "from typing import *",
    "from collections import *"};

std::string AssembleCpp(const Problem& p, absl::string_view code, bool is_solution) {
  std::string out;
  // CodeGeeX tests each helper against the prompt (a substring test), also for a
  // solution sample, which has no prompt of its own.
  for (absl::string_view helper : kCppHelpers) {
    if (!absl::StrContains(p.prompt, helper)) absl::StrAppend(&out, helper, "\n");
  }
  absl::StrAppend(&out, "\n", is_solution ? "" : p.prompt, code, "\n", p.test);
  return out;
}

// The completion up to its first line that starts at column 0 with anything but
// whitespace: the body of the prompt's function and nothing after it.
std::string PythonBody(absl::string_view code) {
  std::string out;
  size_t at = 0;
  bool first = true;
  while (at <= code.size()) {
    size_t end = code.find('\n', at);
    if (end == absl::string_view::npos) end = code.size();
    absl::string_view line = code.substr(at, end - at);
    const bool blank = line.find_first_not_of(" \t\r\n\f\v") == absl::string_view::npos;
    if (!blank && line[0] != ' ' && line[0] != '\t') break;
    if (!first) out.push_back('\n');
    out.append(line.data(), line.size());
    first = false;
    at = end + 1;
  }
  return out;
}

std::string AssemblePython(const Problem& p, absl::string_view code, bool is_solution) {
  std::string out;
  for (absl::string_view helper : kPythonHelpers) absl::StrAppend(&out, helper, "\n");
  if (is_solution) {
    absl::StrAppend(&out, code, "\n", p.test, "\n");
  } else {
    absl::StrAppend(&out, p.prompt, PythonBody(code), "\n", p.test, "\n");
  }
  return out;
}

// --- Go and Rust ---

// CodeGeeX's IMPORT_HELPER["go"], in its order.
constexpr std::array<absl::string_view, 10> kGoHelpers = {
    "math", "strings", "fmt", "strconv", "time", "bytes", "regexp", "sort", "math/rand",
    "crypto/md5"};

// The prompt's own import block is dropped (Go rejects an unused import, and the
// completion decides what it uses); instead each helper package that test_setup does not
// name (a substring test, as CodeGeeX's) is imported when the completion mentions
// "<last path element>." anywhere, comments included.
std::string AssembleGo(const Problem& p, absl::string_view code, bool is_solution) {
  std::string prompt;
  if (!is_solution) {
    prompt = p.imports.empty() ? p.prompt : absl::StrReplaceAll(p.prompt, {{p.imports, ""}});
  }
  std::vector<std::string> other;
  for (absl::string_view pkg : kGoHelpers) {
    if (absl::StrContains(p.test_setup, pkg)) continue;
    const size_t slash = pkg.rfind('/');
    const absl::string_view last = slash == absl::string_view::npos ? pkg : pkg.substr(slash + 1);
    if (absl::StrContains(code, absl::StrCat(last, "."))) other.push_back(absl::StrCat("\"", pkg, "\""));
  }
  std::string out = absl::StrCat(p.test_setup, "\n");
  if (!other.empty()) {
    // CodeGeeX's layout: "import (\n" + the packages joined by four spaces, each
    // followed by a newline, + ")".
    absl::StrAppend(&out, "import (\n");
    for (size_t i = 0; i < other.size(); ++i) {
      absl::StrAppend(&out, i == 0 ? "" : "    ", other[i], "\n");
    }
    absl::StrAppend(&out, ")\n");
  }
  absl::StrAppend(&out, prompt, code, "\n", p.test);
  return out;
}

// An empty main (the test binary never calls it), the declaration (the `use` lines and
// the signature), then the prompt (a doc comment, which so lands inside the function
// body), the completion and the #[cfg(test)] module. A solution replaces the
// declaration, prompt and completion.
std::string AssembleRust(const Problem& p, absl::string_view code, bool is_solution) {
  return absl::StrCat("\nfn main(){ \n } \n", is_solution ? "" : p.declaration,
                      is_solution ? "" : p.prompt, code, p.test);
}

// Java and JavaScript: CodeGeeX runs the prompt, the completion and the test as one file,
// nothing added (Java's prompt has its imports; JavaScript needs none).
std::string AssemblePromptCompletionTest(const Problem& p, absl::string_view code,
                                         bool is_solution) {
  return absl::StrCat(is_solution ? "" : p.prompt, code, "\n", p.test);
}

constexpr std::array<HumanEvalXLanguage, 6> kLanguages = {{
    {"CPP", "cpp", AssembleCpp},
    {"Python", "python", AssemblePython},
    {"Go", "go", AssembleGo},
    {"Java", "java", AssemblePromptCompletionTest},
    {"JavaScript", "javascript", AssemblePromptCompletionTest, /*quiet_pass=*/true},
    {"Rust", "rust-test", AssembleRust},
}};

}  // namespace

const HumanEvalXLanguage* FindHumanEvalXLanguage(absl::string_view task_id) {
  const size_t slash = task_id.find('/');
  if (slash == absl::string_view::npos) return nullptr;
  const absl::string_view prefix = task_id.substr(0, slash);
  for (const HumanEvalXLanguage& l : kLanguages) {
    if (l.prefix == prefix) return &l;
  }
  return nullptr;
}

absl::string_view HumanEvalXLanguageOf(absl::string_view task_id) {
  const HumanEvalXLanguage* l = FindHumanEvalXLanguage(task_id);
  return l == nullptr ? absl::string_view() : l->runtime;
}

bool HumanEvalXAssembled(const Problem& problem) {
  const HumanEvalXLanguage* l = FindHumanEvalXLanguage(problem.task_id);
  return l != nullptr && l->assemble != nullptr;
}

bool HumanEvalXQuietPass(const Problem& problem) {
  if (problem.format != ProblemFormat::kHumanEvalX) return false;
  const HumanEvalXLanguage* l = FindHumanEvalXLanguage(problem.task_id);
  return l != nullptr && l->quiet_pass;
}

std::string HumanEvalXProgram(const Problem& problem, absl::string_view code,
                              bool is_solution) {
  const HumanEvalXLanguage* l = FindHumanEvalXLanguage(problem.task_id);
  if (l == nullptr || l->assemble == nullptr) return "";
  return l->assemble(problem, code, is_solution);
}

}  // namespace fathom::grader
