// YAML files read with file:line:column errors.
#include "grader/policy/yaml_doc.h"

#include <fstream>
#include <iterator>
#include <sstream>
#include <system_error>

#include <yaml-cpp/eventhandler.h>

namespace fathom::grader::yaml {

namespace fs = std::filesystem;

namespace {

// Records where a document's root node starts (what a YAML::Node's Mark() says).
class FirstMark final : public YAML::EventHandler {
 public:
  YAML::Mark mark = YAML::Mark::null_mark();
  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& m, YAML::anchor_t) override { Set(m); }
  void OnAlias(const YAML::Mark& m, YAML::anchor_t) override { Set(m); }
  void OnScalar(const YAML::Mark& m, const std::string&, YAML::anchor_t,
                const std::string&) override {
    Set(m);
  }
  void OnSequenceStart(const YAML::Mark& m, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    Set(m);
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& m, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    Set(m);
  }
  void OnMapEnd() override {}

 private:
  void Set(const YAML::Mark& m) {
    if (mark.is_null()) mark = m;
  }
};

}  // namespace

absl::StatusOr<YAML::Node> File::Parse() const {
  // Not YAML::LoadAll: yaml-cpp 0.7 (Debian 12) loops there forever, allocating, on input
  // such as a lone ',' (jbeder/yaml-cpp#1040, fixed upstream in #1319; found by
  // fuzz/policy_fuzz.cc). The first document, then whether a second one starts, is all
  // this needs, and neither step loops.
  YAML::Node doc;
  YAML::Mark second;
  bool several = false;
  try {
    doc = YAML::Load(bytes_);
    std::istringstream in(bytes_);
    YAML::Parser parser(in);
    FirstMark skip, next;
    parser.HandleNextDocument(skip);
    several = parser.HandleNextDocument(next);
    second = next.mark;
  } catch (const YAML::Exception& e) {
    return ErrorAtMark(e.mark, "", absl::StrCat("invalid YAML: ", e.msg));
  } catch (const std::exception& e) {
    return ErrorAtMark(YAML::Mark(), "", absl::StrCat("invalid YAML: ", e.what()));
  }
  if (doc.IsNull()) {
    return ErrorAtMark(YAML::Mark(), "", "empty file: expected a mapping of keys");
  }
  if (several) return ErrorAtMark(second, "", "expected one YAML document, found several");
  if (!doc.IsMap()) return Error(doc, "", "expected a mapping of keys");
  return doc;
}

absl::StatusOr<File> ReadFile(const fs::path& path, const std::string& shown,
                             uintmax_t max_bytes, absl::string_view kind) {
  std::error_code ec;
  const uintmax_t size = fs::file_size(path, ec);
  if (ec) {
    return absl::InvalidArgumentError(
        absl::StrCat(shown, ": cannot read: ", ec.message()));
  }
  if (size > max_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        shown, ": file is ", size, " bytes; ", kind, " are at most ", max_bytes));
  }
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)),
                    std::istreambuf_iterator<char>());
  if (in.bad()) {
    return absl::InvalidArgumentError(absl::StrCat(shown, ": cannot read"));
  }
  return File(shown, std::move(bytes));
}

}  // namespace fathom::grader::yaml
