// A client process for client_test's kill -9 test: asks ITEMS completions prompts
// ("resume item <i>", n = 2) of ENDPOINT through the cache at CACHE, then writes one line
// per item, in order, to OUT: "<i>\t<sample 0 text>\t<sample 1 text>".
//
//   client_resume_helper ENDPOINT CACHE ITEMS CONCURRENCY OUT
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "driver/client/cache.h"
#include "driver/client/client.h"

namespace fc = fathom::driver::client;

int main(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: %s ENDPOINT CACHE ITEMS CONCURRENCY OUT\n", argv[0]);
    return 2;
  }
  auto cache = fc::Cache::Open(argv[2]);
  if (!cache.ok()) {
    std::fprintf(stderr, "%s\n", std::string(cache.status().message()).c_str());
    return 1;
  }
  fc::ClientOptions options;
  options.endpoint = argv[1];
  options.model = "fake";
  options.concurrency = std::atoi(argv[4]);
  options.backoff_base_ms = 10;
  auto client = fc::Client::Create(options, cache->get());
  if (!client.ok()) return 1;
  std::vector<fc::Request> requests;
  for (int i = 0, items = std::atoi(argv[3]); i < items; ++i) {
    fc::Request r;
    r.api = fathom::driver::Api::kCompletions;
    r.prompt = absl::StrCat("resume item ", i);
    r.n = 2;
    r.temperature = 0.8;
    r.seed = 7;
    requests.push_back(std::move(r));
  }
  auto results = (*client)->Complete(std::move(requests));
  if (!results.ok()) {
    std::fprintf(stderr, "%s\n", std::string(results.status().message()).c_str());
    return 1;
  }
  std::ofstream out(argv[5]);
  for (size_t i = 0; i < results->size(); ++i) {
    const auto& s = (*results)[i].samples;
    out << i << '\t' << s[0].text << '\t' << s[1].text << '\n';
  }
  return out.good() ? 0 : 1;
}
