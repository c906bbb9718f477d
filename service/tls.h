// Who may call `fathom serve`: TLS (--tls-cert, --tls-key) and mutual TLS (--client-ca)
// with gRPC's own credentials. The files are read and checked here, before the server
// starts, so that a wrong file is an error naming the flag and the file at start rather
// than a handshake that fails for every client later.
//
// Thread safety: free functions without shared state.
#ifndef FATHOM_SERVICE_TLS_H_
#define FATHOM_SERVICE_TLS_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace grpc {
class ServerCredentials;  // no gRPC header here: the CLI includes this file
}

namespace fathom::service {

// PEM files; all empty means plaintext.
struct TlsFiles {
  // The server's certificate chain (leaf first) and its private key. Both or neither.
  std::string cert_file;
  std::string key_file;
  // CA certificates that sign the clients' certificates. When set, every client must
  // present a certificate that verifies against them (mutual TLS), or its connection is
  // refused in the handshake, before any call reaches the service. Requires cert_file.
  std::string client_ca_file;

  bool enabled() const { return !cert_file.empty() || !key_file.empty(); }
};

// The credentials the gRPC port listens with: insecure when `files` is empty, else
// grpc::SslServerCredentials from the files' contents (TLS 1.2 or 1.3, gRPC's defaults),
// requiring and verifying a client certificate when client_ca_file is set.
// InvalidArgument naming the flag and file when a file cannot be read, holds no PEM
// certificate or key, when the key is not the certificate's, when the certificate has
// expired or is not yet valid, or when a flag is missing its partner.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const TlsFiles& files);

}  // namespace fathom::service

#endif  // FATHOM_SERVICE_TLS_H_
