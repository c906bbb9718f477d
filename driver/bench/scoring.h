// The closed set of answer extractors and matchers, in GPT-Fathom's terms (faithful) and
// with its known bugs fixed (strict). Each faithful function names the GPT-Fathom code it
// reimplements; the README ("Faithful and strict") lists every faithful/strict difference.
//
// Pure functions; thread-safe.
#ifndef FATHOM_DRIVER_BENCH_SCORING_H_
#define FATHOM_DRIVER_BENCH_SCORING_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fathom::driver::bench {

// evals/api.py record_and_check_match: the first expected string `sampled` starts with,
// or nullopt (then the match event's `correct` is false).
std::optional<std::string> PrefixPick(std::string_view sampled,
                                      const std::vector<std::string>& expected);

// MultipleChoice.post_process (lstrip = true) and READ_COMPRE / AGIEVAL MC (lstrip =
// false): the first of "(A)".."(Z)" in alphabetical order that occurs anywhere wins;
// otherwise the raw output (lstripped only in MultipleChoice). *found: a letter was found.
std::string McLetterScan(std::string_view output, bool lstrip, bool* found);
// Strict: the first "(X)" by position; else a leading letter ("B", "B.", "(B", "B)",
// "B:"... followed by a non-letter); else "answer is (X)"/"answer is X"; else "".
std::string StrictMcLetter(std::string_view output);

// ceval.py eval_sample: text after "所以答案是 " (split(marker)[1]), then the first
// \(([A-Z])\) by position, else that text; then lstrip.
std::string CevalExtract(std::string_view output, bool* found);

// lambada.py: lstrip; strip; drop a leading "A:"; the first \b[a-zA-Z]+\b, else the text.
std::string LambadaExtract(std::string_view output, bool* found);

// bbh.py post_process (CoT): split(marker)[1] when the marker occurs; strip().
std::string MarkerExtract(std::string_view output, std::string_view marker, bool* found);

// math_problem.py check_match("gsm8k"): with "The answer is " in the output, the first \d+
// of split(...)[1]; else the last \d+ of the output. *expected becomes the \d+ runs of the
// gold after "####" when a number was found, else the gold string itself (the output is
// then matched raw). Returns the extracted number, or nullopt.
std::optional<std::string> Gsm8kExtract(std::string_view output, std::string_view gold_solution,
                                        std::vector<std::string>* expected);
// The gold after "####", stripped (GSM8K); nullopt when there is no "####".
std::optional<std::string> Gsm8kGold(std::string_view solution);

// math_problem.py check_match("mgsm"): the last match of (-?\d[\d,]*\.?\d*)(?![\d-]).
std::optional<std::string> MgsmExtract(std::string_view output);

// Strict numbers: the last -?\d[\d,]*(\.\d+)? of the text after the last `marker` if the
// marker occurs (and has a number after it), else of the whole output.
std::optional<std::string> StrictLastNumber(std::string_view output, std::string_view marker);
// Numeric equality of two decimal strings (commas dropped, leading "+" allowed), exact:
// "1,000" == "1000.0"; false when either is not a number.
bool NumbersEqual(std::string_view a, std::string_view b);

// math_problem.py check_match("math"): remove_boxed(last_boxed_only_string(output)).
std::optional<std::string> MathExtract(std::string_view output);

// AGIEVAL.post_process for MC (see McLetterScan), IMC (sorted letters of every "(X)",
// comma-joined) and Cloze (the raw output).
enum class AgievalType { kMC, kIMC, kCloze };
std::string AgievalExtract(AgievalType type, std::string_view output, bool* found);

// utils.fuzzy_match: normalise both; either empty -> equal, else two-way substring.
bool FuzzyMatch(std::string_view a, std::string_view b);
// Strict QA: the normalised gold (non-empty) occurs in the normalised output.
bool ContainsMatch(std::string_view output, std::string_view gold);
// utils.f1_score: max over golds of SQuAD token F1 (0 for an empty gold list).
double TokenF1(std::string_view prediction, const std::vector<std::string>& golds);
// The first non-empty line of the output, stripped (strict QA and DROP).
std::string FirstLine(std::string_view output);

}  // namespace fathom::driver::bench

#endif  // FATHOM_DRIVER_BENCH_SCORING_H_
