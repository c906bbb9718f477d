// The real sandbox, the Python runtime of policies/ and warm zygotes, set up once per test
// process for the end-to-end grading tests (header-only; test binaries only).
#ifndef FATHOM_TESTS_GRADING_ENV_H_
#define FATHOM_TESTS_GRADING_ENV_H_

#include <memory>
#include <string>

#include "grader/pipeline/program.h"
#include "grader/policy/policy.h"
#include "gtest/gtest.h"
#include "sandbox/sandbox.h"
#include "sandbox/zygote.h"

namespace fathom::e2e {

// Owned for the life of the process (tests share them; nothing is freed).
struct GradingEnv {
  grader::Policy* policy = nullptr;
  sandbox::Sandbox* sandbox = nullptr;
  grader::PreparedRuntime* runtime = nullptr;
  sandbox::ZygoteRunner* zygote = nullptr;  // `fathom grade`'s default runner, 2 workers
};

// Fills *env from FATHOM_SOURCE_DIR/policies; gtest assertions on failure (call it from
// SetUpTestSuite and check env->zygote in SetUp).
inline void MakeGradingEnv(GradingEnv* env) {
  absl::StatusOr<grader::Policy> policy =
      grader::LoadPolicy(std::string(FATHOM_SOURCE_DIR) + "/policies");
  ASSERT_TRUE(policy.ok()) << policy.status();
  env->policy = new grader::Policy(*std::move(policy));
  sandbox::SandboxOptions options;
  options.wanted = env->policy->wanted_layers;
  absl::StatusOr<std::unique_ptr<sandbox::Sandbox>> sb = sandbox::Sandbox::Create(options);
  ASSERT_TRUE(sb.ok()) << sb.status();
  env->sandbox = sb->release();
  absl::StatusOr<grader::PreparedRuntime> rt = grader::PrepareRuntime(
      *env->policy, "python", env->sandbox->active_layers().Has(sandbox::Layer::kSeccomp));
  ASSERT_TRUE(rt.ok()) << rt.status();
  env->runtime = new grader::PreparedRuntime(*rt);
  absl::StatusOr<std::unique_ptr<sandbox::ZygoteRunner>> z = sandbox::ZygoteRunner::Create(
      env->sandbox, grader::GradingZygoteOptions(*env->runtime, 2));
  ASSERT_TRUE(z.ok()) << z.status();
  env->zygote = z->release();
}

}  // namespace fathom::e2e

#endif  // FATHOM_TESTS_GRADING_ENV_H_
