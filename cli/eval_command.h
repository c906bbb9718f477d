// `fathom eval`: GPT-Fathom's benchmark suite scored from saved completions (issue 14).
// Flag parsing and wiring only; the work is in driver/run/engine.h.
#ifndef FATHOM_CLI_EVAL_COMMAND_H_
#define FATHOM_CLI_EVAL_COMMAND_H_

namespace fathom::cli {

// argv[0] is "eval". Exit codes: 0 every asked benchmark scored (whatever the model
// scored; bad rows and missing predictions are counted, not fatal), 1 some code samples
// hit sandbox_error, 2 usage or unreadable input (a benchmark that could not be scored).
int EvalMain(int argc, char** argv);

}  // namespace fathom::cli

#endif  // FATHOM_CLI_EVAL_COMMAND_H_
