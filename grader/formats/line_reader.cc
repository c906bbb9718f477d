// Line streaming over zlib's gz* API, which reads gzip and plain files alike.
#include "grader/formats/line_reader.h"

#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"

namespace fathom::grader {
namespace {

constexpr size_t kChunkBytes = 1 << 16;

absl::Status OpenError(const std::string& path, int err) {
  std::string msg = absl::StrCat(path, ": ", std::strerror(err));
  if (err == ENOENT) return absl::NotFoundError(msg);
  if (err == EACCES) return absl::PermissionDeniedError(msg);
  return absl::InternalError(msg);
}

}  // namespace

absl::StatusOr<LineReader> LineReader::Open(const std::string& path) {
  errno = 0;
  gzFile gz = gzopen(path.c_str(), "rb");
  if (gz == nullptr) return OpenError(path, errno != 0 ? errno : EIO);
  gzbuffer(gz, kChunkBytes);
  return LineReader(path, gz);
}

LineReader::LineReader(LineReader&& o) noexcept { *this = std::move(o); }

LineReader& LineReader::operator=(LineReader&& o) noexcept {
  if (this != &o) {
    if (gz_ != nullptr) gzclose(static_cast<gzFile>(gz_));
    path_ = std::move(o.path_);
    gz_ = std::exchange(o.gz_, nullptr);
    buf_ = std::move(o.buf_);
    pos_ = o.pos_;
    eof_ = o.eof_;
    line_number_ = o.line_number_;
    status_ = o.status_;
  }
  return *this;
}

LineReader::~LineReader() {
  if (gz_ != nullptr) gzclose(static_cast<gzFile>(gz_));
}

bool LineReader::Fill() {
  if (eof_ || !status_.ok()) return false;
  buf_.erase(0, pos_);
  pos_ = 0;
  size_t old = buf_.size();
  buf_.resize(old + kChunkBytes);
  int n = gzread(static_cast<gzFile>(gz_), buf_.data() + old, kChunkBytes);
  if (n < 0) {
    int errnum = 0;
    const char* msg = gzerror(static_cast<gzFile>(gz_), &errnum);
    status_ = absl::DataLossError(absl::StrCat(path_, ": read failed: ", msg));
    buf_.resize(old);
    return false;
  }
  buf_.resize(old + n);
  if (n == 0) {
    eof_ = true;
    // A truncated gzip stream reads as a short file; zlib reports it here.
    int errnum = 0;
    gzerror(static_cast<gzFile>(gz_), &errnum);
    if (errnum != Z_OK && errnum != Z_BUF_ERROR) {
      status_ = absl::DataLossError(absl::StrCat(path_, ": corrupt compressed data"));
    }
    return false;
  }
  return true;
}

bool LineReader::Next(std::string* line, int64_t* line_number) {
  size_t scan_from = pos_;
  while (true) {
    size_t nl = buf_.find('\n', scan_from);
    if (nl != std::string::npos) {
      line->assign(buf_, pos_, nl - pos_);
      pos_ = nl + 1;
      *line_number = ++line_number_;
      return true;
    }
    size_t consumed = pos_;
    scan_from = buf_.size() - consumed;  // offsets shift by `consumed` in Fill()
    if (!Fill()) break;
  }
  if (!status_.ok()) return false;
  if (pos_ < buf_.size()) {  // last line without a newline
    line->assign(buf_, pos_, std::string::npos);
    pos_ = buf_.size();
    *line_number = ++line_number_;
    return true;
  }
  return false;
}

absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  absl::StatusOr<LineReader> reader = LineReader::Open(path);
  if (!reader.ok()) return reader.status();
  std::string all, line;
  int64_t n;
  while (reader->Next(&line, &n)) {
    all += line;
    all += '\n';
  }
  if (!reader->status().ok()) return reader->status();
  return all;
}

}  // namespace fathom::grader
