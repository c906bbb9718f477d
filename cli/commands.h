// The subcommands of the fathom binary. Each takes argv with argv[0] = its own name and
// returns the process exit code.
#ifndef FATHOM_CLI_COMMANDS_H_
#define FATHOM_CLI_COMMANDS_H_

namespace fathom::cli {

int RunMain(int argc, char** argv);
int DoctorMain(int argc, char** argv);
int RuntimesMain(int argc, char** argv);

}  // namespace fathom::cli

#endif  // FATHOM_CLI_COMMANDS_H_
