// The official DROP metric (Dua et al. 2019, allennlp-reading-comprehension drop_eval.py),
// written from its description: answers are bags of spans; each span is normalised
// token by token (split on " " and "-"; lower; punctuation removed unless the token is a
// number; numbers as Python's str(float(x)); articles removed); the F1 of predicted and
// gold bags is the mean over an optimal one-to-one alignment of span F1s, where a span
// pair whose gold side has numbers scores 0 unless they share one; rounded to 2 places.
//
// Pure functions; thread-safe.
#ifndef FATHOM_DRIVER_BENCH_DROP_METRIC_H_
#define FATHOM_DRIVER_BENCH_DROP_METRIC_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fathom::driver::bench {

struct DropScore {
  double exact_match = 0.0;
  double f1 = 0.0;
};

// get_metrics(predicted, gold) for one gold answer (a bag of spans).
DropScore DropMetrics(const std::vector<std::string>& predicted,
                      const std::vector<std::string>& gold);

// _normalize_answer for one span.
std::string DropNormalizeAnswer(std::string_view text);

// Python's float(text) (whitespace, sign, '_' between digits, Unicode digits,
// inf/nan), or nullopt where it raises.
std::optional<double> PyFloat(std::string_view text);
// Python's repr(float): shortest round-trip digits, exponent form below 1e-4 and from 1e16.
std::string PyFloatRepr(double value);

}  // namespace fathom::driver::bench

#endif  // FATHOM_DRIVER_BENCH_DROP_METRIC_H_
