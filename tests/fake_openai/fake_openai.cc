// The fake OpenAI-compatible server: an epoll loop on one thread, HTTP/1.1 keep-alive,
// answers computed from the prompt, faults from markers in it (see fake_openai.h).
#include "tests/fake_openai/fake_openai.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <unordered_map>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace fathom::fake_openai {

namespace {

using Clock = std::chrono::steady_clock;

uint64_t Fnv1a(std::string_view s, uint64_t h = 1469598103934665603ull) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

struct Fault {
  std::string kind;
  int count = 0;  // -1: every request
  std::string arg;
};

std::vector<Fault> ParseFaults(absl::string_view prompt) {
  std::vector<Fault> faults;
  size_t pos = 0;
  while ((pos = prompt.find("[[fault:", pos)) != std::string_view::npos) {
    size_t end = prompt.find("]]", pos);
    if (end == std::string_view::npos) break;
    std::vector<std::string> parts =
        absl::StrSplit(prompt.substr(pos + 8, end - pos - 8), ':');
    pos = end + 2;
    if (parts.size() < 2) continue;
    Fault f;
    f.kind = parts[0];
    if (parts[1] == "*") {
      f.count = -1;
    } else if (!absl::SimpleAtoi(parts[1], &f.count)) {
      continue;
    }
    if (parts.size() > 2) f.arg = parts[2];
    faults.push_back(std::move(f));
  }
  return faults;
}

// The fault for the k-th (1-based) request of a prompt, if any.
std::optional<Fault> FaultFor(const std::vector<Fault>& faults, int k) {
  int first = 1;
  for (const Fault& f : faults) {
    if (f.count < 0) return f;
    if (k < first + f.count) return f;
    first += f.count;
  }
  return std::nullopt;
}

std::string ErrorBody(std::string_view message, std::string_view type, std::string_view code) {
  nlohmann::json j = {{"error", {{"message", message}, {"type", type}, {"code", code}}}};
  return j.dump();
}

struct Response {
  int status = 200;
  std::string reason = "OK";
  std::vector<std::string> headers;
  std::string body;
  int delay_ms = 0;
  bool drop = false;  // announce more than is sent, then close
};

std::string Serialize(const Response& r) {
  std::string out = absl::StrFormat("HTTP/1.1 %d %s\r\n", r.status, r.reason);
  absl::StrAppend(&out, "Content-Type: application/json\r\n");
  for (const std::string& h : r.headers) absl::StrAppend(&out, h, "\r\n");
  if (r.drop) {
    absl::StrAppend(&out, "Content-Length: ", r.body.size() + 1000, "\r\n\r\n",
                    r.body.substr(0, r.body.size() / 2));
  } else {
    absl::StrAppend(&out, "Content-Length: ", r.body.size(), "\r\n\r\n", r.body);
  }
  return out;
}

const char* Reason(int status) {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Status";
  }
}

}  // namespace

std::string GeneratedText(std::string_view prompt, int64_t seed) {
  uint64_t h = Fnv1a(prompt);  // std::string_view: absl's is its own type here
  h = Fnv1a(absl::StrCat(seed), h ^ 0xff);
  return absl::StrFormat("answer-%016x ### and some trailing words", h);
}

Answer AnswerFor(std::string_view prompt, int64_t seed, const std::vector<std::string>& stop,
                 int max_tokens) {
  Answer a;
  a.text = GeneratedText(prompt, seed);
  a.finish_reason = "stop";
  size_t cut = std::string::npos;
  for (const std::string& s : stop) {
    if (s.empty()) continue;
    size_t at = a.text.find(s);
    if (at != std::string::npos && (cut == std::string::npos || at < cut)) cut = at;
  }
  if (cut != std::string::npos) a.text.resize(cut);
  std::vector<absl::string_view> words = absl::StrSplit(a.text, ' ', absl::SkipEmpty());
  if (max_tokens > 0 && static_cast<int>(words.size()) > max_tokens) {
    a.text = absl::StrJoin(words.begin(), words.begin() + max_tokens, " ");
    a.finish_reason = "length";
    a.completion_tokens = max_tokens;
  } else {
    a.completion_tokens = static_cast<int64_t>(words.size());
  }
  return a;
}

class FakeOpenAiServer::Loop {
 public:
  explicit Loop(FakeOpenAiServer* server) : s_(server) {}
  void Run();

 private:
  struct Conn {
    int fd = -1;
    std::string in;
    std::string out;
    bool busy = false;          // a response is pending (delayed)
    bool close_after = false;   // close once `out` is sent
  };
  void Accept();
  void OnReadable(uint64_t id);
  void Process(uint64_t id);
  void Send(uint64_t id, const Response& r, bool keep_alive);
  void Flush(uint64_t id);
  void Close(uint64_t id);
  Response Handle(std::string_view method, std::string_view path, std::string_view body,
                  std::string_view authorization);

  FakeOpenAiServer* s_;
  int epoll_ = -1;
  uint64_t next_id_ = 2;  // 0: the listening socket, 1: the wake-up eventfd
  std::unordered_map<uint64_t, Conn> conns_;
  struct Pending {
    uint64_t id;
    Response response;
    bool keep_alive;
  };
  std::multimap<Clock::time_point, Pending> timers_;
};

void FakeOpenAiServer::Loop::Run() {
  epoll_ = epoll_create1(EPOLL_CLOEXEC);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = 0;
  epoll_ctl(epoll_, EPOLL_CTL_ADD, s_->listen_fd_, &ev);
  ev.data.u64 = 1;
  epoll_ctl(epoll_, EPOLL_CTL_ADD, s_->wake_fd_, &ev);
  epoll_event events[64];
  while (true) {
    int timeout = -1;
    if (!timers_.empty()) {
      auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(timers_.begin()->first -
                                                                      Clock::now())
                    .count();
      timeout = static_cast<int>(std::max<int64_t>(ms + 1, 0));
    }
    int n = epoll_wait(epoll_, events, 64, timeout);
    if (n < 0 && errno != EINTR) break;
    bool stop = false;
    for (int i = 0; i < n; ++i) {
      uint64_t id = events[i].data.u64;
      if (id == 0) {
        Accept();
      } else if (id == 1) {
        stop = true;
      } else {
        if (events[i].events & EPOLLOUT) Flush(id);
        if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) OnReadable(id);
      }
    }
    if (stop) break;
    Clock::time_point now = Clock::now();
    while (!timers_.empty() && timers_.begin()->first <= now) {
      Pending p = std::move(timers_.begin()->second);
      timers_.erase(timers_.begin());
      if (!conns_.count(p.id)) continue;  // the client gave up (a timeout)
      conns_[p.id].busy = false;
      Send(p.id, p.response, p.keep_alive);
      if (conns_.count(p.id)) Process(p.id);
    }
  }
  std::vector<uint64_t> ids;
  for (auto& [id, c] : conns_) ids.push_back(id);
  for (uint64_t id : ids) Close(id);
  close(epoll_);
}

void FakeOpenAiServer::Loop::Accept() {
  while (true) {
    int fd = accept4(s_->listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    uint64_t id = next_id_++;
    conns_[id].fd = fd;
    s_->connections_.fetch_add(1);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = id;
    epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev);
  }
}

void FakeOpenAiServer::Loop::Close(uint64_t id) {
  auto it = conns_.find(id);
  if (it == conns_.end()) return;
  epoll_ctl(epoll_, EPOLL_CTL_DEL, it->second.fd, nullptr);
  close(it->second.fd);
  conns_.erase(it);
}

void FakeOpenAiServer::Loop::OnReadable(uint64_t id) {
  auto it = conns_.find(id);
  if (it == conns_.end()) return;
  char buf[16384];
  while (true) {
    ssize_t got = recv(it->second.fd, buf, sizeof(buf), 0);
    if (got > 0) {
      it->second.in.append(buf, static_cast<size_t>(got));
      continue;
    }
    if (got == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
      Close(id);
      return;
    }
    if (errno == EINTR) continue;
    break;
  }
  Process(id);
}

void FakeOpenAiServer::Loop::Process(uint64_t id) {
  while (true) {
    auto it = conns_.find(id);
    if (it == conns_.end()) return;
    Conn& c = it->second;
    if (c.busy || c.close_after) return;
    size_t head_end = c.in.find("\r\n\r\n");
    if (head_end == std::string::npos) return;
    absl::string_view head(c.in.data(), head_end);
    std::vector<absl::string_view> lines = absl::StrSplit(head, "\r\n");
    std::vector<absl::string_view> request_line = absl::StrSplit(lines[0], ' ');
    if (request_line.size() < 3) {
      Close(id);
      return;
    }
    size_t length = 0;
    bool keep_alive = true;
    std::string authorization;
    for (size_t i = 1; i < lines.size(); ++i) {
      size_t colon = lines[i].find(':');
      if (colon == std::string_view::npos) continue;
      std::string name = absl::AsciiStrToLower(lines[i].substr(0, colon));
      absl::string_view value = absl::StripAsciiWhitespace(lines[i].substr(colon + 1));
      if (name == "content-length") {
        (void)absl::SimpleAtoi(value, &length);
      } else if (name == "connection" && absl::EqualsIgnoreCase(value, "close")) {
        keep_alive = false;
      } else if (name == "authorization") {
        authorization = std::string(value);
      }
    }
    if (c.in.size() < head_end + 4 + length) return;
    std::string method(request_line[0]), path(request_line[1]);
    std::string body = c.in.substr(head_end + 4, length);
    c.in.erase(0, head_end + 4 + length);
    Response r = Handle(method, path, body, authorization);
    if (r.delay_ms > 0) {
      c.busy = true;
      int delay = r.delay_ms;
      timers_.emplace(Clock::now() + std::chrono::milliseconds(delay),
                      Pending{id, std::move(r), keep_alive});
      const int64_t held = static_cast<int64_t>(timers_.size());
      if (held > s_->max_held_.load()) s_->max_held_.store(held);
      return;
    }
    Send(id, r, keep_alive);
  }
}

void FakeOpenAiServer::Loop::Send(uint64_t id, const Response& r, bool keep_alive) {
  auto it = conns_.find(id);
  if (it == conns_.end()) return;
  it->second.out += Serialize(r);
  if (r.drop || !keep_alive) it->second.close_after = true;
  Flush(id);
}

void FakeOpenAiServer::Loop::Flush(uint64_t id) {
  auto it = conns_.find(id);
  if (it == conns_.end()) return;
  Conn& c = it->second;
  while (!c.out.empty()) {
    ssize_t sent = send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
    if (sent > 0) {
      c.out.erase(0, static_cast<size_t>(sent));
      continue;
    }
    if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      epoll_event ev{};
      ev.events = EPOLLIN | EPOLLOUT;
      ev.data.u64 = id;
      epoll_ctl(epoll_, EPOLL_CTL_MOD, c.fd, &ev);
      return;
    }
    if (sent < 0 && errno == EINTR) continue;
    Close(id);
    return;
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = id;
  epoll_ctl(epoll_, EPOLL_CTL_MOD, c.fd, &ev);
  if (c.close_after) Close(id);
}

Response FakeOpenAiServer::Loop::Handle(std::string_view method, std::string_view path,
                                        std::string_view body, std::string_view authorization) {
  Response r;
  const Options& o = s_->options_;
  const bool chat = path == "/v1/chat/completions";
  if (method != "POST" || (!chat && path != "/v1/completions")) {
    r.status = 404;
    r.body = ErrorBody(absl::StrCat("no route ", std::string(path)), "invalid_request_error", "not_found");
    r.reason = Reason(r.status);
    return r;
  }
  nlohmann::json req = nlohmann::json::parse(body, nullptr, false);
  std::string prompt;
  int n = 1, max_tokens = 0;
  std::optional<int64_t> seed;
  std::vector<std::string> stop;
  bool valid = req.is_object();
  if (valid) {
    try {
      if (chat) {
        std::vector<std::string> contents;
        for (const auto& m : req.at("messages")) contents.push_back(m.at("content"));
        prompt = absl::StrJoin(contents, "\n");
      } else {
        prompt = req.at("prompt").get<std::string>();
      }
      n = req.value("n", 1);
      max_tokens = req.value("max_tokens", 0);
      if (req.contains("seed")) seed = req["seed"].get<int64_t>();
      if (req.contains("stop")) {
        if (req["stop"].is_string()) {
          stop.push_back(req["stop"]);
        } else {
          stop = req["stop"].get<std::vector<std::string>>();
        }
      }
    } catch (const nlohmann::json::exception&) {
      valid = false;
    }
  }
  int k;
  {
    std::lock_guard<std::mutex> lock(s_->mu_);
    k = ++s_->counts_[prompt];
    s_->last_authorization_ = std::string(authorization);
    s_->arrivals_.push_back(Arrival{
        prompt, n, seed,
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - s_->started_)
            .count(),
        0});
  }
  s_->total_.fetch_add(1);
  auto record = [&](const Response& resp) {
    std::lock_guard<std::mutex> lock(s_->mu_);
    s_->arrivals_.back().status = resp.drop ? 0 : resp.status;
  };
  r.delay_ms = o.latency_ms;
  if (!valid) {
    r.status = 400;
    r.body = ErrorBody("malformed request", "invalid_request_error", "bad_request");
  } else if (std::optional<Fault> f = FaultFor(ParseFaults(prompt), k)) {
    if (f->kind == "429") {
      r.status = 429;
      r.body = ErrorBody("Rate limit reached", "requests", "rate_limit_exceeded");
      if (!f->arg.empty()) r.headers.push_back(absl::StrCat("Retry-After: ", f->arg));
    } else if (f->kind == "429ms") {
      r.status = 429;
      r.body = ErrorBody("Rate limit reached", "requests", "rate_limit_exceeded");
      r.headers.push_back(absl::StrCat("retry-after-ms: ", f->arg));
    } else if (f->kind == "500" || f->kind == "503") {
      r.status = f->kind == "500" ? 500 : 503;
      r.body = ErrorBody("The server had an error", "server_error", "server_error");
      if (!f->arg.empty()) r.headers.push_back(absl::StrCat("Retry-After: ", f->arg));
    } else if (f->kind == "slow") {
      r.delay_ms = std::max(r.delay_ms, std::atoi(f->arg.c_str()));
      f.reset();
    } else if (f->kind == "drop") {
      f.reset();
      r.drop = true;
    } else if (f->kind == "badjson") {
      r.status = 200;
      r.body = "{\"choices\": [{\"text\": \"trunc";
      r.reason = Reason(r.status);
      record(r);
      return r;
    } else if (f->kind == "400") {
      r.status = 400;
      r.body = ErrorBody("Invalid value for 'temperature'", "invalid_request_error", "bad_request");
    } else if (f->kind == "echo") {
      r.status = 500;
      r.body = ErrorBody(absl::StrCat("internal error handling request with ",
                                      std::string(authorization)),
                         "server_error", "server_error");
    } else {
      f.reset();
    }
    if (f) {
      r.reason = Reason(r.status);
      record(r);
      return r;
    }
  }
  if (valid && r.status == 200 && r.body.empty()) {
    if (o.context_limit_bytes > 0 && prompt.size() > o.context_limit_bytes) {
      r.status = 400;
      const size_t tokens = prompt.size() / 4 + static_cast<size_t>(max_tokens);
      const size_t limit = o.context_limit_bytes / 4;
      if (o.context_style == Options::ContextStyle::kOpenAi) {
        r.body = ErrorBody(
            absl::StrFormat("This model's maximum context length is %d tokens. However, you "
                            "requested %d tokens. Please reduce the length of the messages.",
                            limit, tokens),
            "invalid_request_error", "context_length_exceeded");
      } else {
        nlohmann::json j = {
            {"object", "error"},
            {"message", absl::StrFormat("This model's maximum context length is %d tokens. "
                                        "However, you requested %d tokens. Please reduce the "
                                        "length of the messages or completion.",
                                        limit, tokens)},
            {"type", "BadRequestError"},
            {"param", nullptr},
            {"code", 400}};
        r.body = j.dump();
      }
    } else if (n > 1 && o.n_mode == Options::NMode::kReject) {
      r.status = 400;
      r.body = ErrorBody("n > 1 is not supported", "invalid_request_error", "bad_request");
    } else {
      int choices = n > 1 && o.n_mode == Options::NMode::kIgnore ? 1 : std::max(n, 1);
      nlohmann::json out = {{"id", absl::StrCat("fake-", k)},
                            {"object", chat ? "chat.completion" : "text_completion"},
                            {"model", req.value("model", "")}};
      nlohmann::json list = nlohmann::json::array();
      int64_t completion_tokens = 0;
      for (int j = 0; j < choices; ++j) {
        Answer a = AnswerFor(prompt, seed.value_or(0) + j, stop, max_tokens);
        completion_tokens += a.completion_tokens;
        nlohmann::json choice = {{"index", j}, {"finish_reason", a.finish_reason}};
        if (chat) {
          choice["message"] = {{"role", "assistant"}, {"content", a.text}};
        } else {
          choice["text"] = a.text;
        }
        list.push_back(std::move(choice));
      }
      out["choices"] = std::move(list);
      const int64_t prompt_tokens = static_cast<int64_t>((prompt.size() + 3) / 4);
      out["usage"] = {{"prompt_tokens", prompt_tokens},
                      {"completion_tokens", completion_tokens},
                      {"total_tokens", prompt_tokens + completion_tokens}};
      r.body = out.dump();
    }
  }
  r.reason = Reason(r.status);
  record(r);
  return r;
}

absl::StatusOr<std::unique_ptr<FakeOpenAiServer>> FakeOpenAiServer::Start(Options options) {
  std::unique_ptr<FakeOpenAiServer> s(new FakeOpenAiServer());
  s->options_ = options;
  s->listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (s->listen_fd_ < 0) return absl::InternalError(absl::StrCat("socket: ", strerror(errno)));
  int one = 1;
  setsockopt(s->listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(options.port));
  if (bind(s->listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      listen(s->listen_fd_, 1024) != 0) {
    return absl::InternalError(absl::StrCat("bind/listen 127.0.0.1:", options.port, ": ",
                                            strerror(errno)));
  }
  socklen_t len = sizeof(addr);
  getsockname(s->listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  s->port_ = ntohs(addr.sin_port);
  s->wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  s->started_ = Clock::now();
  FakeOpenAiServer* raw = s.get();
  s->thread_ = std::thread([raw] { Loop(raw).Run(); });
  return s;
}

FakeOpenAiServer::~FakeOpenAiServer() {
  if (thread_.joinable()) {
    uint64_t one = 1;
    (void)!write(wake_fd_, &one, sizeof(one));
    thread_.join();
  }
  if (listen_fd_ >= 0) close(listen_fd_);
  if (wake_fd_ >= 0) close(wake_fd_);
}

std::string FakeOpenAiServer::endpoint() const {
  return absl::StrCat("http://127.0.0.1:", port_, "/v1");
}

int FakeOpenAiServer::RequestCount(std::string_view prompt) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = counts_.find(prompt);
  return it == counts_.end() ? 0 : it->second;
}

int64_t FakeOpenAiServer::TotalRequests() const { return total_.load(); }

std::vector<Arrival> FakeOpenAiServer::Arrivals() const {
  std::lock_guard<std::mutex> lock(mu_);
  return arrivals_;
}

std::map<std::string, int> FakeOpenAiServer::Counts() const {
  std::lock_guard<std::mutex> lock(mu_);
  return std::map<std::string, int>(counts_.begin(), counts_.end());
}

std::string FakeOpenAiServer::LastAuthorization() const {
  std::lock_guard<std::mutex> lock(mu_);
  return last_authorization_;
}

}  // namespace fathom::fake_openai
