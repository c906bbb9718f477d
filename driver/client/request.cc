// Request bodies, response parsing and error classification for both OpenAI APIs.
#include "driver/client/request.h"

#include <algorithm>
#include <cctype>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace fathom::driver::client {

std::string_view ApiName(Api api) {
  return api == Api::kChat ? "chat" : "completions";
}

std::optional<Api> ParseApi(std::string_view name) {
  if (name == "chat") return Api::kChat;
  if (name == "completions") return Api::kCompletions;
  return std::nullopt;
}

std::string_view OutcomeName(Outcome outcome) {
  switch (outcome) {
    case Outcome::kOk: return "ok";
    case Outcome::kContextLength: return "context_length";
    case Outcome::kRejected: return "rejected";
    case Outcome::kFailed: return "failed";
  }
  return "unknown";
}

bool ItemResult::ok() const {
  return std::all_of(samples.begin(), samples.end(),
                     [](const Sample& s) { return s.outcome == Outcome::kOk; });
}

namespace {

nlohmann::json BaseBody(const Request& request, std::string_view model) {
  nlohmann::json body = nlohmann::json::object();
  body["model"] = model;
  if (request.api == Api::kChat) {
    body["messages"] = request.messages;
  } else {
    body["prompt"] = request.prompt;
  }
  if (request.max_tokens > 0) body["max_tokens"] = request.max_tokens;
  body["temperature"] = request.temperature;
  body["top_p"] = request.top_p;
  if (!request.stop.empty()) body["stop"] = request.stop;
  return body;
}

}  // namespace

std::string RequestBody(const Request& request, std::string_view model, int n,
                        int64_t seed_offset) {
  nlohmann::json body = BaseBody(request, model);
  if (n > 1) body["n"] = n;
  if (request.seed) body["seed"] = *request.seed + seed_offset;
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string KeyBody(const Request& request, std::string_view model) {
  return RequestBody(request, model, 1, 0);
}

absl::StatusOr<ParsedResponse> ParseResponse(Api api, std::string_view body) {
  nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return absl::InvalidArgumentError("response is not JSON");
  if (!j.is_object()) return absl::InvalidArgumentError("response is not a JSON object");
  auto choices = j.find("choices");
  if (choices == j.end() || !choices->is_array() || choices->empty()) {
    return absl::InvalidArgumentError("response has no choices");
  }
  ParsedResponse out;
  std::vector<std::pair<int64_t, ParsedChoice>> indexed;
  int64_t position = 0;
  for (const auto& c : *choices) {
    if (!c.is_object()) return absl::InvalidArgumentError("a choice is not an object");
    ParsedChoice choice;
    const nlohmann::json* text = nullptr;
    if (api == Api::kChat) {
      auto message = c.find("message");
      if (message == c.end() || !message->is_object()) {
        return absl::InvalidArgumentError("a chat choice has no message");
      }
      auto content = message->find("content");
      if (content != message->end()) text = &*content;
    } else {
      auto t = c.find("text");
      if (t != c.end()) text = &*t;
    }
    // A null content (a refusal, a tool call) is an empty answer, not a broken response.
    if (text != nullptr && text->is_string()) {
      choice.text = text->get<std::string>();
    } else if (text != nullptr && !text->is_null()) {
      return absl::InvalidArgumentError("a choice's text is not a string");
    } else if (text == nullptr && api == Api::kCompletions) {
      return absl::InvalidArgumentError("a completion choice has no text");
    }
    auto finish = c.find("finish_reason");
    if (finish != c.end() && finish->is_string()) choice.finish_reason = finish->get<std::string>();
    auto index = c.find("index");
    int64_t i = index != c.end() && index->is_number_integer() ? index->get<int64_t>() : position;
    indexed.emplace_back(i, std::move(choice));
    ++position;
  }
  std::stable_sort(indexed.begin(), indexed.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [i, choice] : indexed) out.choices.push_back(std::move(choice));
  auto usage = j.find("usage");
  if (usage != j.end() && usage->is_object()) {
    auto get = [&](const char* name) -> int64_t {
      auto v = usage->find(name);
      return v != usage->end() && v->is_number_integer() ? v->get<int64_t>() : 0;
    };
    out.prompt_tokens = get("prompt_tokens");
    out.completion_tokens = get("completion_tokens");
  }
  return out;
}

std::string ErrorMessage(std::string_view body) {
  nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_object()) {
    auto error = j.find("error");
    if (error != j.end()) {
      if (error->is_string()) return error->get<std::string>();
      if (error->is_object()) {
        auto message = error->find("message");
        if (message != error->end() && message->is_string()) return message->get<std::string>();
      }
    }
    auto message = j.find("message");
    if (message != j.end() && message->is_string()) return message->get<std::string>();
    auto detail = j.find("detail");
    if (detail != j.end() && detail->is_string()) return detail->get<std::string>();
  }
  std::string head(body.substr(0, 200));
  for (char& c : head) {
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  }
  return head;
}

bool IsContextLengthError(long http_status, std::string_view body) {
  if (http_status != 400 && http_status != 413 && http_status != 422) return false;
  std::string lower = absl::AsciiStrToLower(absl::string_view(body.data(), body.size()));
  return absl::StrContains(lower, "context_length_exceeded") ||
         absl::StrContains(lower, "maximum context length") ||
         absl::StrContains(lower, "context length") ||
         absl::StrContains(lower, "context size") ||
         absl::StrContains(lower, "exceed_context_size") ||
         (absl::StrContains(lower, "must be <=") && absl::StrContains(lower, "tokens"));
}

int64_t EstimateTokens(std::string_view text) {
  int64_t ascii = 0, other = 0;
  for (unsigned char c : text) {
    if (c < 0x80) {
      ++ascii;
    } else if ((c & 0xC0) != 0x80) {  // the lead byte of a multi-byte code point
      ++other;
    }
  }
  return (ascii + 2) / 3 + other;
}

int64_t EstimatePromptTokens(const Request& request) {
  if (request.api == Api::kCompletions) return EstimateTokens(request.prompt);
  int64_t tokens = 0;
  if (request.messages.is_array()) {
    for (const auto& m : request.messages) {
      // About four tokens of framing per message (role, separators).
      tokens += 4;
      auto content = m.find("content");
      if (content != m.end() && content->is_string()) {
        tokens += EstimateTokens(content->get_ref<const std::string&>());
      }
    }
  }
  return tokens;
}

}  // namespace fathom::driver::client
