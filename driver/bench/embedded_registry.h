// The registry files (benchmarks/*.yaml, benchmarks/shots/**) built into the binary by
// driver/bench/CMakeLists.txt, so Registry::LoadBuiltin() needs no file at run time.
#ifndef FATHOM_DRIVER_BENCH_EMBEDDED_REGISTRY_H_
#define FATHOM_DRIVER_BENCH_EMBEDDED_REGISTRY_H_

#include <cstddef>

namespace fathom::driver::bench {

struct EmbeddedFile {
  const char* path;  // relative to benchmarks/: "mmlu.yaml", "shots/gsm8k.jsonl"
  const unsigned char* data;
  size_t size;
};

extern const EmbeddedFile kEmbeddedRegistryFiles[];
extern const size_t kEmbeddedRegistryFileCount;

}  // namespace fathom::driver::bench

#endif  // FATHOM_DRIVER_BENCH_EMBEDDED_REGISTRY_H_
