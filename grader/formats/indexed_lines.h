// Lines of several files read back in one numbered order: each file's lines carry numbers
// given as ascending runs of (first, count) (a shard's results lines or eval items, whose
// places among the whole run's are recorded beside them), and the reader hands out the
// lines of all files by increasing number. `fathom merge` puts shards back together with
// it without holding any file in memory.
//
// Thread safety: an IndexedLines is used by one thread.
#ifndef FATHOM_GRADER_FORMATS_INDEXED_LINES_H_
#define FATHOM_GRADER_FORMATS_INDEXED_LINES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "grader/formats/line_reader.h"

namespace fathom::grader {

// Runs of consecutive numbers: (first, count), ascending.
using IndexRuns = std::vector<std::pair<int64_t, int64_t>>;

// Appends `index` to `runs` (extending the last run when it is the next number).
void AddToRuns(IndexRuns* runs, int64_t index);

// The total count of `runs`.
int64_t RunsCount(const IndexRuns& runs);

class IndexedLines {
 public:
  struct Line {
    size_t file = 0;          // the order files were added in
    int64_t index = 0;        // its number
    int64_t line_number = 0;  // in its file, 1-based
    std::string text;         // without "\n"
  };

  // Adds a file whose non-blank lines have the numbers `runs` (which must outlive this);
  // null runs: numbered 0, 1, 2, ... Errors name the path.
  absl::Status Add(const std::string& path, const IndexRuns* runs);

  // The next line by number (ties: the file added first); false at the end of every
  // file. InvalidArgument when a file has more or fewer lines than its runs count.
  absl::StatusOr<bool> Next(Line* line);

 private:
  struct Cursor {
    std::optional<LineReader> reader;
    const IndexRuns* runs = nullptr;
    size_t run = 0;
    int64_t offset = 0;
    Line line;
    bool done = false;
  };
  absl::Status Advance(Cursor& c);
  bool Later(size_t a, size_t b) const;  // cursor a's line comes after cursor b's
  void Push(size_t cursor);

  std::vector<Cursor> cursors_;
  std::vector<size_t> heap_;  // cursor numbers, smallest (index, file) on top
};

}  // namespace fathom::grader

#endif  // FATHOM_GRADER_FORMATS_INDEXED_LINES_H_
