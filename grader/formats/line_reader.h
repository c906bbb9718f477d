// Streams the lines of a plain or gzip-compressed text file (zlib reads both), one at a
// time, so memory stays flat however large the file is.
//
// Thread safety: a LineReader is used by one thread at a time.
#ifndef FATHOM_GRADER_FORMATS_LINE_READER_H_
#define FATHOM_GRADER_FORMATS_LINE_READER_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace fathom::grader {

class LineReader {
 public:
  // Opens `path` (gzip detected by content, not by name). NotFound / PermissionDenied /
  // Internal name the path.
  static absl::StatusOr<LineReader> Open(const std::string& path);
  LineReader(LineReader&& other) noexcept;
  LineReader& operator=(LineReader&& other) noexcept;
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;
  ~LineReader();

  // Reads the next line into *line without its "\n" (a trailing "\r" is kept: JSON
  // parsing ignores it). Returns false at end of file, or when an error occurred (then
  // status() is not OK). *line_number is 1-based.
  bool Next(std::string* line, int64_t* line_number);
  // OK unless reading or decompression failed.
  const absl::Status& status() const { return status_; }
  const std::string& path() const { return path_; }

 private:
  LineReader(std::string path, void* gz) : path_(std::move(path)), gz_(gz) {}
  bool Fill();

  std::string path_;
  void* gz_ = nullptr;  // gzFile
  std::string buf_;
  size_t pos_ = 0;
  bool eof_ = false;
  int64_t line_number_ = 0;
  absl::Status status_;
};

// Reads a whole (plain or gzip) file into memory.
absl::StatusOr<std::string> ReadWholeFile(const std::string& path);

}  // namespace fathom::grader

#endif  // FATHOM_GRADER_FORMATS_LINE_READER_H_
