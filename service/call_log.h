// One JSON line per finished call (and per server event) on the log stream. Never the
// program text, stdin, files or samples: only what identifies and measures the call.
//
//   {"ts":"2024-05-01T12:00:00.123Z","event":"call","method":"Grade",
//    "peer":"ipv4:127.0.0.1:50812","code":"OK","duration_ms":812.4,
//    "problem_sets":["humaneval"],"samples":164,"statuses":{"passed":160,"failed":4}}
//
// Thread safety: Write and Event may be called from any thread (lines never interleave).
#ifndef FATHOM_SERVICE_CALL_LOG_H_
#define FATHOM_SERVICE_CALL_LOG_H_

#include <cstdint>
#include <map>
#include <mutex>
#include <ostream>
#include <set>
#include <string>

namespace fathom::service {

struct CallRecord {
  std::string method;
  std::string peer;
  std::string code;     // gRPC code name, "OK", "INVALID_ARGUMENT", ...
  std::string message;  // the error message (our own words: field names, never data)
  double duration_ms = 0;
  std::string runtime;                     // Execute
  std::set<std::string> problem_sets;      // Grade, GradeStream
  int64_t samples = -1;                    // Grade, GradeStream (-1: not logged)
  std::map<std::string, int64_t> statuses;  // run or sample statuses
};

class CallLog {
 public:
  // `out` must outlive the log; null discards every line.
  explicit CallLog(std::ostream* out) : out_(out) {}
  void Write(const CallRecord& record);
  // A server event: {"ts":..,"event":NAME, ...fields}.
  void Event(const std::string& name, const std::map<std::string, std::string>& fields = {});

 private:
  void Line(const std::string& line);
  std::ostream* out_;
  std::mutex mu_;
};

}  // namespace fathom::service

#endif  // FATHOM_SERVICE_CALL_LOG_H_
