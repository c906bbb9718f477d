// Hendrycks MATH answer handling as GPT-Fathom runs it (evals/utils/math_util.py):
// last_boxed_only_string, remove_boxed, _strip_string (all 16 steps) and is_equiv.
//
// Pure functions; thread-safe.
#ifndef FATHOM_DRIVER_BENCH_MATH_EQUIV_H_
#define FATHOM_DRIVER_BENCH_MATH_EQUIV_H_

#include <optional>
#include <string>
#include <string_view>

namespace fathom::driver::bench {

// The last "\boxed" (else "\fbox") up to its balanced closing brace, or nullopt.
std::optional<std::string> LastBoxedOnlyString(std::string_view text);
// "\boxed{X}" -> X; nullopt for anything else (including "\fbox{X}" and nullopt).
std::optional<std::string> RemoveBoxed(const std::optional<std::string>& boxed);
// _strip_string; nullopt where Python raises (the caller then compares raw strings).
std::optional<std::string> StripMathString(std::string_view text);
// is_equiv(a, b): both nullopt -> true; one nullopt -> false; else equal after
// StripMathString, or raw equality when it raises.
bool MathIsEquiv(const std::optional<std::string>& a, const std::optional<std::string>& b);

}  // namespace fathom::driver::bench

#endif  // FATHOM_DRIVER_BENCH_MATH_EQUIV_H_
