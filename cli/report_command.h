// `fathom report` and `fathom compare` (issue 17): run directories of `fathom eval` and
// results files of `fathom grade` as self-contained HTML pages with Markdown twins. Flag
// parsing and file writing only; the pages are driver/report/.
#ifndef FATHOM_CLI_REPORT_COMMAND_H_
#define FATHOM_CLI_REPORT_COMMAND_H_

namespace fathom::cli {

// argv[0] is "report". Exit codes: 0 written, 2 usage or unreadable input.
int ReportMain(int argc, char** argv);

// argv[0] is "compare". Exit codes: 0 written, 2 usage, unreadable input, or runs that
// differ in mode, data or templates without --allow-mismatch.
int CompareMain(int argc, char** argv);

}  // namespace fathom::cli

#endif  // FATHOM_CLI_REPORT_COMMAND_H_
