// Lines of several files by number (see indexed_lines.h).
#include "grader/formats/indexed_lines.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace fathom::grader {

void AddToRuns(IndexRuns* runs, int64_t index) {
  if (!runs->empty() && runs->back().first + runs->back().second == index) {
    ++runs->back().second;
  } else {
    runs->emplace_back(index, 1);
  }
}

int64_t RunsCount(const IndexRuns& runs) {
  int64_t n = 0;
  for (const auto& [first, count] : runs) n += count;
  return n;
}

absl::Status IndexedLines::Add(const std::string& path, const IndexRuns* runs) {
  absl::StatusOr<LineReader> r = LineReader::Open(path);
  if (!r.ok()) return r.status();
  Cursor c;
  c.reader.emplace(*std::move(r));
  c.runs = runs;
  c.line.file = cursors_.size();
  c.line.index = -1;
  cursors_.push_back(std::move(c));
  if (absl::Status s = Advance(cursors_.back()); !s.ok()) return s;
  if (!cursors_.back().done) Push(cursors_.size() - 1);
  return absl::OkStatus();
}

absl::Status IndexedLines::Advance(Cursor& c) {
  while (true) {
    if (!c.reader->Next(&c.line.text, &c.line.line_number)) {
      if (!c.reader->status().ok()) return c.reader->status();
      if (c.runs != nullptr && c.run < c.runs->size()) {
        return absl::InvalidArgumentError(absl::StrCat(
            c.reader->path(), ": fewer lines (", c.line.line_number,
            ") than the numbers recorded for it (", RunsCount(*c.runs), ")"));
      }
      c.done = true;
      return absl::OkStatus();
    }
    if (c.line.text.find_first_not_of(" \t\r") != std::string::npos) break;
  }
  if (c.runs == nullptr) {
    ++c.line.index;
    return absl::OkStatus();
  }
  if (c.run >= c.runs->size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        c.reader->path(), ":", c.line.line_number, ": more lines than the numbers recorded "
        "for it (", RunsCount(*c.runs), ")"));
  }
  c.line.index = (*c.runs)[c.run].first + c.offset;
  if (++c.offset == (*c.runs)[c.run].second) {
    ++c.run;
    c.offset = 0;
  }
  return absl::OkStatus();
}

bool IndexedLines::Later(size_t a, size_t b) const {
  return std::make_pair(cursors_[a].line.index, a) > std::make_pair(cursors_[b].line.index, b);
}

void IndexedLines::Push(size_t cursor) {
  heap_.push_back(cursor);
  std::push_heap(heap_.begin(), heap_.end(), [this](size_t a, size_t b) { return Later(a, b); });
}

absl::StatusOr<bool> IndexedLines::Next(Line* line) {
  if (heap_.empty()) return false;
  std::pop_heap(heap_.begin(), heap_.end(), [this](size_t a, size_t b) { return Later(a, b); });
  const size_t k = heap_.back();
  heap_.pop_back();
  Cursor& c = cursors_[k];
  line->file = c.line.file;
  line->index = c.line.index;
  line->line_number = c.line.line_number;
  line->text.swap(c.line.text);  // Advance() reads the next line into the old buffer
  if (absl::Status s = Advance(c); !s.ok()) return s;
  if (!c.done) Push(k);
  return true;
}

}  // namespace fathom::grader
