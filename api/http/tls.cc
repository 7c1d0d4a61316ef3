#include "api/http/tls.h"

#include <openssl/err.h>

#include <boost/asio/ssl/context.hpp>

namespace slotd::api {
namespace {

// OpenSSL's reason for the last failure, and the queue cleared.
std::string LastTlsError() {
  char text[256] = "unknown error";
  if (const unsigned long code = ERR_get_error(); code != 0) {
    ERR_error_string_n(code, text, sizeof text);
  }
  ERR_clear_error();
  return text;
}

}  // namespace

TlsContext LoadTlsContext(const std::string& cert_path, const std::string& key_path,
                          std::string* error) {
  TlsContext context(SSL_CTX_new(TLS_server_method()));
  if (!context) {
    *error = "cannot create a TLS context: " + LastTlsError();
    return nullptr;
  }
  SSL_CTX_set_min_proto_version(context.get(), TLS1_2_VERSION);
  if (SSL_CTX_use_certificate_chain_file(context.get(), cert_path.c_str()) != 1) {
    *error = "cannot read TLS certificate " + cert_path + ": " + LastTlsError();
    return nullptr;
  }
  if (SSL_CTX_use_PrivateKey_file(context.get(), key_path.c_str(), SSL_FILETYPE_PEM) != 1) {
    *error = "cannot read TLS key " + key_path + ": " + LastTlsError();
    return nullptr;
  }
  if (SSL_CTX_check_private_key(context.get()) != 1) {
    *error = "TLS key " + key_path + " does not match certificate " + cert_path;
    return nullptr;
  }
  return context;
}

std::unique_ptr<boost::asio::ssl::context> AsioTlsContext(SSL_CTX* context) {
  SSL_CTX_up_ref(context);
  return std::make_unique<boost::asio::ssl::context>(context);
}

}  // namespace slotd::api
