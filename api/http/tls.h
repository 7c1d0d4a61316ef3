// The TLS side of --tls-cert and --tls-key.
#pragma once

#include <openssl/ssl.h>

#include <memory>
#include <string>

namespace boost::asio::ssl {
class context;
}

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

// An Asio context for the server's TLS streams over the same SSL_CTX. It
// holds a reference of its own (SSL_CTX_up_ref; Asio frees what it wraps),
// so `context` and the result may be freed in either order.
std::unique_ptr<boost::asio::ssl::context> AsioTlsContext(SSL_CTX* context);

}  // namespace slotd::api
