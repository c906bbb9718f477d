// JSON log lines.
#include "service/call_log.h"

#include <time.h>

#include <chrono>

#include "absl/strings/str_format.h"
#include "grader/formats/utf8.h"
#include "nlohmann/json.hpp"

namespace fathom::service {
namespace {

std::string UtcNow() {
  auto now = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  time_t secs = static_cast<time_t>(ms / 1000);
  tm t{};
  gmtime_r(&secs, &t);
  return absl::StrFormat("%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", t.tm_year + 1900, t.tm_mon + 1,
                         t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec, static_cast<int>(ms % 1000));
}

}  // namespace

void CallLog::Write(const CallRecord& r) {
  nlohmann::ordered_json j;
  j["ts"] = UtcNow();
  j["event"] = "call";
  j["method"] = r.method;
  j["peer"] = grader::SanitizeUtf8(r.peer);
  j["code"] = r.code;
  // Messages may quote what a client or a program sent.
  if (!r.message.empty()) j["message"] = grader::SanitizeUtf8(r.message);
  j["duration_ms"] = static_cast<double>(static_cast<int64_t>(r.duration_ms * 10)) / 10;
  if (!r.runtime.empty()) j["runtime"] = grader::SanitizeUtf8(r.runtime);
  if (!r.problem_sets.empty()) {
    for (const std::string& name : r.problem_sets) {
      j["problem_sets"].push_back(grader::SanitizeUtf8(name));
    }
  }
  if (r.samples >= 0) j["samples"] = r.samples;
  if (!r.statuses.empty()) j["statuses"] = r.statuses;
  Line(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

void CallLog::Event(const std::string& name, const std::map<std::string, std::string>& fields) {
  nlohmann::ordered_json j;
  j["ts"] = UtcNow();
  j["event"] = name;
  for (const auto& [k, v] : fields) j[grader::SanitizeUtf8(k)] = grader::SanitizeUtf8(v);
  Line(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

void CallLog::Line(const std::string& line) {
  if (out_ == nullptr) return;
  std::lock_guard<std::mutex> lock(mu_);
  *out_ << line << "\n";
  out_->flush();
}

}  // namespace fathom::service
