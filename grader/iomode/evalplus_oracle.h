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

// numpy.allclose(out, exp, rtol, atol) on plain values (exposed for tests).
bool AllClose(const PyValue& out, const PyValue& exp, double rtol, double atol);

// True for the entry points whose outputs the harness sends as "is not None".
bool IsNotNoneOracle(EvalPlusDataset dataset, absl::string_view entry_point);

}  // namespace fathom::grader

#endif  // FATHOM_GRADER_IOMODE_EVALPLUS_ORACLE_H_
