// CompileSeccomp: profile errors are reported, not crashed on.
#include "sandbox/seccomp.h"

#include "gtest/gtest.h"

namespace fathom::sandbox {
namespace {

TEST(SeccompTest, CompilesAProfile) {
  SeccompProfile p;
  p.name = "t";
  p.allow = {"read", "write", "exit_group"};
  p.errno_rules = {{"socket", 13}};
  p.kill = {"ptrace"};
  absl::StatusOr<std::shared_ptr<const SeccompFilter>> f = CompileSeccomp(p, "/bin/true");
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_GT((*f)->prog()->len, 10);
  EXPECT_STREQ((*f)->exec_path(), "/bin/true");
}

TEST(SeccompTest, UnknownSyscallIsInvalidArgument) {
  SeccompProfile p;
  p.allow = {"reed"};
  absl::StatusOr<std::shared_ptr<const SeccompFilter>> f = CompileSeccomp(p, "/bin/true");
  EXPECT_EQ(f.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(f.status().message(), "unknown syscall 'reed'");
}

TEST(SeccompTest, ConflictingListsAreInvalidArgument) {
  SeccompProfile p;
  p.name = "t";
  p.allow = {"ptrace"};
  p.kill = {"ptrace"};
  EXPECT_EQ(CompileSeccomp(p, "/bin/true").status().message(),
            "seccomp profile 't': syscall 'ptrace' is listed twice");
}

TEST(SeccompTest, ProcessAndExecSyscallsAreNotListable) {
  SeccompProfile p;
  p.name = "t";
  p.allow = {"fork"};
  EXPECT_EQ(CompileSeccomp(p, "/bin/true").status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace fathom::sandbox
