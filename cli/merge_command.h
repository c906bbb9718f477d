// `fathom merge`: joins the shards of a `fathom grade` run (results files with their
// sidecars, or EvalPlus files) or of a `fathom eval` run (run directories) into one.
// Flag parsing and wiring only; the work is in grader/pipeline/merge.h and
// driver/run/merge_runs.h.
#ifndef FATHOM_CLI_MERGE_COMMAND_H_
#define FATHOM_CLI_MERGE_COMMAND_H_

namespace fathom::cli {

// argv[0] is "merge". Exit codes: 0 merged, 1 some merged samples hit sandbox_error,
// 2 usage, unreadable input, or a merge refused (differing fingerprints, missing or
// duplicated tasks).
int MergeMain(int argc, char** argv);

}  // namespace fathom::cli

#endif  // FATHOM_CLI_MERGE_COMMAND_H_
