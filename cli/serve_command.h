// `fathom serve`: the gRPC grading service. Flag parsing and wiring only; the work is in
// service/ (server.h, core.h) over grader/ and sandbox/.
#ifndef FATHOM_CLI_SERVE_COMMAND_H_
#define FATHOM_CLI_SERVE_COMMAND_H_

namespace fathom::cli {

// argv[0] is "serve". Runs until SIGTERM/SIGINT, drains, and returns 0; 2 for usage
// errors or unreadable problem files, 1 when the sandbox or a runtime cannot start.
int ServeMain(int argc, char** argv);

}  // namespace fathom::cli

#endif  // FATHOM_CLI_SERVE_COMMAND_H_
