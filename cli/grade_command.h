// `fathom grade`: grades a samples file against a problem set (human-eval / EvalPlus
// drop-in); `fathom prepare`: its setup measured once for the shards of a run. Flag
// parsing and wiring only; the work is in grader/pipeline/grade.h and prepared.h.
#ifndef FATHOM_CLI_GRADE_COMMAND_H_
#define FATHOM_CLI_GRADE_COMMAND_H_

namespace fathom::cli {

// argv[0] is "grade". Exit codes: 0 grading completed (whatever the model scored), 1 some
// samples hit sandbox_error, 2 usage or unreadable input (and --strict stops).
int GradeMain(int argc, char** argv);

// argv[0] is "prepare": measures a problem set's grading setup (calibrated time limits,
// expected outputs) once into a directory for `fathom grade --prepared`. Exit codes: 0
// prepared, 1 a measurement hit sandbox_error, 2 usage or unreadable input.
int PrepareMain(int argc, char** argv);

}  // namespace fathom::cli

#endif  // FATHOM_CLI_GRADE_COMMAND_H_
