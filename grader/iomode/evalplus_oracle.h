// EvalPlus's rule for "is this output right", applied outside the sandbox to a value the
// candidate returned and the value the canonical solution returned on the same input.
//
// The rule (EvalPlus's evaluator, reimplemented; ours decides the same way):
//   exact = out == exp  (Python equality, py_value.h)
//   MBPP+ special oracles, by entry point:
//     are_equivalent (Mbpp/164)   accepted whatever it returns
//     sum_div (Mbpp/295)          exact, or out == 0
//     surface_Area (Mbpp/581)     exact, or |out - round(reference formula)| <= atol
//     digit_distance_nums (558)   exact, or out == the digit distance of the two inputs
//     similar_elements, find_char_long, common_in_nested_lists, extract_singly, larg_nnum,
//     intersection_array, find_dissimilar, Diff   set(out) == set(exp)
//     check_str, text_match_three, text_starta_endb   compared as "is not None" (the
//       harness sends that projection: their canonical solutions return re.Match objects)
//   HumanEval+ find_zero (HumanEval/32): |poly(xs, out)| <= atol, nothing else.
//   Then: if atol == 0 and exp is a float or a non-empty list/tuple of floats, atol
//   becomes 1e-6 for this and every later input of the group (EvalPlus assigns it once
//   and keeps it); and when !exact and atol != 0, the output is accepted when type(out)
//   == type(exp), lists/tuples have the same length, and numpy.allclose(out, exp,
//   rtol=1e-07, atol=atol) holds (numeric arrays with numpy's broadcasting; strings,
//   None, dicts, ragged lists and integers beyond 64 bits are not numeric: not close).
// Anything that would raise in EvalPlus (set() of an int, arithmetic on a string) is a
// rejection, as it is there.
//
// Digests (py_value.h): the grader keeps most expected outputs as their equality digests
// only, and the harness sends answers over its threshold the same way; `exact` is then
// the digests' equality, which is Python's ==. What needs more is kept or sent as a value:
// the expected outputs of the set-equality tasks, and those numpy would take as a numeric
// array once the group's atol may be non-zero (NeedsExpectedValue); the answers of the
// tasks whose oracle computes with them (NeedsAnswerValue: the harness never digests
// them). The one case decided differently from EvalPlus: an answer over the threshold
// (64 KiB of wire text, kIoDigestOverBytes) that is not equal to a kept numeric expected
// output is rejected without numpy.allclose, which could accept it only by broadcasting
// (an array of higher rank whose rows are all close to the expected one): every kept
// value is small (a task with one over 1/32 of the threshold has no digests at all).
//
// Thread safety: an OracleState is used by one thread; the functions are pure otherwise.
#ifndef FATHOM_GRADER_IOMODE_EVALPLUS_ORACLE_H_
#define FATHOM_GRADER_IOMODE_EVALPLUS_ORACLE_H_

#include <string>

#include "absl/strings/string_view.h"
#include "grader/iomode/py_value.h"

namespace fathom::grader {

enum class EvalPlusDataset { kHumanEval, kMbpp };

// One group of inputs (base or plus) of one sample: the atol in force, which EvalPlus
// raises to 1e-6 at the first float output and keeps.
struct OracleState {
  EvalPlusDataset dataset = EvalPlusDataset::kHumanEval;
  std::string entry_point;
  double atol = 0;
};

// True when `out` is accepted for the input whose raw JSON argument list is `input_json`
// (used by the special oracles only) and whose expected output is `exp`.
bool EvalPlusAccepts(OracleState& state, absl::string_view input_json, const PyValue& out,
                     const PyValue& exp);

// One input as far as the grader holds it (see Digests above).
struct OracleInput {
  absl::string_view input_json;
  const PyValue* out = nullptr;  // the answer; null: known by its equality digest only
  const PyValue* exp = nullptr;  // the expected output; null: likewise
  bool exact = false;            // out == exp (PyEquals, or equal digests)
  bool exp_is_floats = false;    // IsFloats(exp)
};
// The same rule; needs `exp` where NeedsExpectedValue says so, `out` where
// NeedsAnswerValue does (a missing one is a rejection there).
bool EvalPlusAccepts(OracleState& state, const OracleInput& in);

// EvalPlus's is_floats: a float, or a non-empty list/tuple of floats only.
bool IsFloats(const PyValue& v);
// Whether numpy takes `v` as a numeric array (numpy.allclose can accept it).
bool IsNumericArray(const PyValue& v);

// Whether the rule needs the expected output itself at an input, not only its digest
// and IsFloats: the set-equality tasks', and numeric arrays (`exp` null: not known yet,
// taken as one) where the group's atol may be non-zero (the problem's atol, or an
// earlier or this input's expected output is floats).
bool NeedsExpectedValue(EvalPlusDataset dataset, absl::string_view entry_point,
                        bool atol_may_be_set, const PyValue* exp);
// Whether the rule computes with the answer itself (special oracles).
bool NeedsAnswerValue(EvalPlusDataset dataset, absl::string_view entry_point);

// numpy.allclose(out, exp, rtol, atol) on plain values (exposed for tests).
bool AllClose(const PyValue& out, const PyValue& exp, double rtol, double atol);

// True for the entry points whose outputs the harness sends as "is not None".
bool IsNotNoneOracle(EvalPlusDataset dataset, absl::string_view entry_point);

}  // namespace fathom::grader

#endif  // FATHOM_GRADER_IOMODE_EVALPLUS_ORACLE_H_
