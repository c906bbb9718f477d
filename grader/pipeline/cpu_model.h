// The host's CPU model: part of the keys of every cached measurement (calibrated time
// limits, I/O mode's expected outputs), since CPU times measured on one model do not
// hold on another.
//
// Thread-safe (reads /proc/cpuinfo).
#ifndef FATHOM_GRADER_PIPELINE_CPU_MODEL_H_
#define FATHOM_GRADER_PIPELINE_CPU_MODEL_H_

#include <string>

namespace fathom::grader {

// "AMD EPYC ..." from /proc/cpuinfo, or "unknown".
std::string CpuModel();

}  // namespace fathom::grader

#endif  // FATHOM_GRADER_PIPELINE_CPU_MODEL_H_
