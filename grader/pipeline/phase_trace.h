// Phase tracing of graded runs, a diagnostic for finding where a sample's time goes
// (`fathom grade --trace-phases FILE`, `fathom run --trace-phases`); off by default.
//
// A traced run's points come from three places, all on the same clocks (RunTrace in
// sandbox/run_spec.h): the zygote's child before the program ("born", "spare",
// "layers", "interp"), the grader's harness inside the program (below), and the zygote
// around it ("fork", "reap", and the child's "exit" totals). The harnesses learn that
// they are traced from their stdin's first line ("NONCE trace") and send their points in
// their record, as "name wall_ns cpu_ns minflt" joined by ';'. Harness points, in order:
//   main     the harness started (the program file compiled, the harness's imports
//            bound, the nonce read)
//   harness  the harness's set-up done: about to compile the program
//   compile  the program compiled
//   program  the program returned or raised
//   record   about to write the record (then the process exits)
// (The I/O-mode harness: main, harness, then program (the program run and every input's
// call, each value sent as it comes) and record; it sends its points in its "Z" record.)
// Nothing here decides a verdict: a program may forge its points, as it may slow itself.
//
// Thread-safe (pure functions).
#ifndef FATHOM_GRADER_PIPELINE_PHASE_TRACE_H_
#define FATHOM_GRADER_PIPELINE_PHASE_TRACE_H_

#include <vector>

#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"
#include "sandbox/run_spec.h"

namespace fathom::grader {

// Appends the points of a harness's "trace" text to *out; malformed entries are skipped.
void ParseHarnessTrace(absl::string_view text, std::vector<sandbox::TracePoint>* out);

// [{"name", "wall_us", "cpu_us", "minflt", "process": "zygote"|"program"}, ...]
nlohmann::json PhasesJson(const std::vector<sandbox::PhaseTime>& phases);

}  // namespace fathom::grader

#endif  // FATHOM_GRADER_PIPELINE_PHASE_TRACE_H_
