// The TLS side of --tls-cert and --tls-key.
#pragma once

#include <openssl/ssl.h>

#include <memory>
#include <string>

namespace slotd::api {

struct TlsContextFree {
  void operator()(SSL_CTX* context) const { SSL_CTX_free(context); }
};
using TlsContext = std::unique_ptr<SSL_CTX, TlsContextFree>;

// A server context (TLS 1.2 or later) from a PEM certificate chain and its
// PEM private key. Null, with *error saying why, if either cannot be read
// or they do not match.
TlsContext LoadTlsContext(const std::string& cert_path, const std::string& key_path,
                          std::string* error);

}  // namespace slotd::api
