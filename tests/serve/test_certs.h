// Certificates for the TLS tests, made at test time with Debian's `openssl` in a
// directory of the test's own: a CA, a server certificate it signs (SAN IP:127.0.0.1 and
// DNS:localhost), a client certificate it signs, and a second, untrusted CA with a client
// certificate of its own. EC P-256 keys (fast to make), valid for two days.
#ifndef FATHOM_TESTS_SERVE_TEST_CERTS_H_
#define FATHOM_TESTS_SERVE_TEST_CERTS_H_

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace fathom::testing {

struct TestCerts {
  std::string dir;
  std::string Path(const std::string& name) const { return dir + "/" + name; }
  // The file's contents ("" when unreadable).
  std::string Pem(const std::string& name) const {
    std::ifstream in(Path(name), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
};

// Makes ca.pem, server.pem/.key, client.pem/.key, rogue-ca.pem and rogue-client.pem/.key
// in `dir` (created; emptied first). False when openssl failed (its output is in
// dir/openssl.log).
inline bool MakeTestCerts(const std::string& dir, TestCerts* out) {
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  out->dir = dir;
  const std::string script = R"(set -e
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"; }
ca() {  # name
  key "$1.key"
  openssl req -x509 -new -key "$1.key" -out "$1.pem" -days 2 -subj "/CN=fathom test $1" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
}
leaf() {  # name ca ext
  key "$1.key"
  openssl req -new -key "$1.key" -out "$1.csr" -subj "/CN=fathom test $1"
  printf '%b' "$3" > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2.key" -CAcreateserial -days 2 \
    -out "$1.pem" -extfile "$1.ext"
}
ca ca
ca rogue-ca
leaf server ca 'basicConstraints=CA:FALSE\nsubjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n'
leaf client ca 'basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n'
leaf rogue-client rogue-ca 'basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n'
)";
  {
    std::ofstream s(dir + "/make.sh");
    s << script;
  }
  const std::string cmd = "cd '" + dir + "' && /bin/sh make.sh > openssl.log 2>&1";
  return std::system(cmd.c_str()) == 0;
}

}  // namespace fathom::testing

#endif  // FATHOM_TESTS_SERVE_TEST_CERTS_H_
