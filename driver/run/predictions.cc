// Predictions files, indexed by key and read back by offset (see predictions.h).
#include "driver/run/predictions.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "driver/run/readers.h"

namespace fathom::driver::run {

absl::StatusOr<Prediction> ParsePredictionLine(std::string_view line, const BenchmarkInfo& info,
                                               int64_t index) {
  absl::StatusOr<nlohmann::json> j = ParseJsonObjectLine(line);
  if (!j.ok()) return j.status();
  Prediction p;
  // The id: "id", else the benchmark's own id field (a data file with completions added),
  // else the record index.
  if (j->contains("id")) {
    absl::StatusOr<std::string> id = RowId(*j, "id", index);
    if (!id.ok()) return id.status();
    p.id = *id;
  } else {
    absl::StatusOr<std::string> id = RowId(*j, info.id_field, index);
    if (!id.ok()) return id.status();
    p.id = *id;
  }
  if (auto it = j->find("subtask"); it != j->end()) {
    if (!it->is_string()) {
      return absl::InvalidArgumentError(
          absl::StrCat("subtask: expected a string, got ", it->type_name()));
    }
    p.subtask = it->get<std::string>();
  } else if (!info.subtask_field.empty() && j->contains(info.subtask_field)) {
    absl::StatusOr<std::string> s = RowSubtask(info, *j);
    if (!s.ok()) return s.status();
    p.subtask = *s;
  }
  auto c = j->find("completion");
  auto cs = j->find("completions");
  if (c != j->end() && cs != j->end()) {
    return absl::InvalidArgumentError("give one of completion and completions");
  }
  if (c != j->end()) {
    if (!c->is_string()) {
      return absl::InvalidArgumentError(
          absl::StrCat("completion: expected a string, got ", c->type_name()));
    }
    p.completions.push_back(c->get<std::string>());
  } else if (cs != j->end()) {
    if (!cs->is_array() || cs->empty()) {
      return absl::InvalidArgumentError("completions: expected a non-empty list of strings");
    }
    for (size_t i = 0; i < cs->size(); ++i) {
      if (!(*cs)[i].is_string()) {
        return absl::InvalidArgumentError(absl::StrCat("completions[", i,
                                                       "]: expected a string, got ",
                                                       (*cs)[i].type_name()));
      }
      p.completions.push_back((*cs)[i].get<std::string>());
    }
  } else {
    return absl::InvalidArgumentError("completion: missing (or completions)");
  }
  if (auto it = j->find("shots"); it != j->end()) {
    if (!it->is_number_integer() || it->get<int64_t>() < 0 || it->get<int64_t>() > 1000) {
      return absl::InvalidArgumentError(
          absl::StrCat("shots: expected an integer in [0, 1000], got ", it->dump()));
    }
    p.shots = static_cast<int>(it->get<int64_t>());
  }
  if (auto it = j->find("out_of_window"); it != j->end()) {
    if (!it->is_boolean()) {
      return absl::InvalidArgumentError(
          absl::StrCat("out_of_window: expected a boolean, got ", it->type_name()));
    }
    p.out_of_window = it->get<bool>();
  }
  return p;
}

std::string PredictionKey(std::string_view subtask, std::string_view id) {
  std::string key(subtask);
  key += '\x1f';
  key.append(id);
  return key;
}

PredictionIndex::PredictionIndex(PredictionIndex&& o) noexcept { *this = std::move(o); }
PredictionIndex& PredictionIndex::operator=(PredictionIndex&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) close(fd_);
    path_ = std::move(o.path_);
    info_ = o.info_;
    fd_ = std::exchange(o.fd_, -1);
    offsets_ = std::move(o.offsets_);
    order_ = std::move(o.order_);
    errors_ = std::move(o.errors_);
  }
  return *this;
}
PredictionIndex::~PredictionIndex() {
  if (fd_ >= 0) close(fd_);
}

absl::StatusOr<PredictionIndex> PredictionIndex::Open(const std::string& path,
                                                      const BenchmarkInfo& info) {
  PredictionIndex index;
  index.path_ = path;
  index.info_ = &info;
  index.fd_ = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (index.fd_ < 0) {
    int err = errno;
    std::string msg = absl::StrCat(path, ": ", std::strerror(err));
    if (err == ENOENT) return absl::NotFoundError(msg);
    if (err == EACCES) return absl::PermissionDeniedError(msg);
    return absl::InternalError(msg);
  }
  // One buffered pass: every line is parsed for its key only.
  std::string buf(1 << 20, '\0');
  std::string line;
  int64_t offset = 0;       // of the byte after the last one consumed
  int64_t line_start = 0;
  int64_t line_number = 0;
  int64_t record_index = 0;
  auto finish_line = [&]() {
    ++line_number;
    std::string_view text = line;
    absl::StatusOr<Prediction> p = ParsePredictionLine(text, info, record_index);
    if (absl::IsNotFound(p.status())) return;
    ++record_index;
    if (!p.ok()) {
      index.errors_.push_back(absl::StrCat(path, ":", line_number, ": ", p.status().message()));
      return;
    }
    std::string key = PredictionKey(p->subtask, p->id);
    Entry e{line_start, static_cast<int64_t>(line.size()), line_number, record_index - 1, false};
    auto [it, inserted] = index.offsets_.try_emplace(key, e);
    if (!inserted) {
      index.errors_.push_back(absl::StrCat(path, ":", line_number, ": id: '", p->id, "'",
                                           p->subtask.empty() ? "" : " (subtask '",
                                           p->subtask, p->subtask.empty() ? "" : "')",
                                           " already given on line ", it->second.line));
      return;
    }
    index.order_.push_back(std::move(key));
  };
  while (true) {
    ssize_t got = read(index.fd_, buf.data(), buf.size());
    if (got < 0) {
      if (errno == EINTR) continue;
      return absl::InternalError(absl::StrCat(path, ": ", std::strerror(errno)));
    }
    if (got == 0) break;
    for (ssize_t i = 0; i < got; ++i) {
      char c = buf[i];
      if (c == '\n') {
        finish_line();
        line.clear();
        line_start = offset + i + 1;
      } else {
        line.push_back(c);
      }
    }
    offset += got;
  }
  if (!line.empty()) finish_line();
  return index;
}

absl::StatusOr<Prediction> PredictionIndex::Take(const std::string& subtask,
                                                 const std::string& id) {
  auto it = offsets_.find(PredictionKey(subtask, id));
  if (it == offsets_.end() && !subtask.empty()) it = offsets_.find(PredictionKey("", id));
  if (it == offsets_.end() || it->second.taken) {
    return absl::NotFoundError(absl::StrCat("no prediction for id '", id, "'"));
  }
  Entry& e = it->second;
  std::string line(e.length, '\0');
  int64_t done = 0;
  while (done < e.length) {
    ssize_t got = pread(fd_, line.data() + done, e.length - done, e.offset + done);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return absl::InternalError(absl::StrCat(path_, ": read failed"));
    done += got;
  }
  absl::StatusOr<Prediction> p = ParsePredictionLine(line, *info_, e.index);
  if (!p.ok()) return p.status();
  e.taken = true;
  return p;
}

std::vector<std::string> PredictionIndex::Unused(size_t limit) const {
  std::vector<std::string> out;
  for (const std::string& key : order_) {
    if (out.size() >= limit) break;
    if (!offsets_.at(key).taken) {
      size_t sep = key.find('\x1f');
      std::string sub = key.substr(0, sep);
      out.push_back(sub.empty() ? key.substr(sep + 1)
                                : absl::StrCat(sub, "/", key.substr(sep + 1)));
    }
  }
  return out;
}

int64_t PredictionIndex::unused_count() const {
  int64_t n = 0;
  for (const auto& [key, e] : offsets_) n += e.taken ? 0 : 1;
  return n;
}

}  // namespace fathom::driver::run
