// Transport security and access: HTTPS from --tls-cert/--tls-key (with a
// certificate made at test time through OpenSSL's C API), Basic auth from
// --auth-string-file, and the warning for an open non-loopback address.
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <string>

#include "e2e_support.h"
#include "raw_http.h"
#include "slotd_process.h"

namespace slotd::e2e {
namespace {

using Clock = std::chrono::steady_clock;

// A self-signed certificate for IP 127.0.0.1 and its key, as PEM files in a
// fresh temporary directory removed on destruction.
class TestCertificate {
 public:
  TestCertificate() {
    char dir_template[] = "/tmp/slotd-tls-XXXXXX";
    dir_ = mkdtemp(dir_template);
    EVP_PKEY* key = EVP_EC_gen("P-256");
    X509* cert = X509_new();
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), -60);
    X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
    X509_set_pubkey(cert, key);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("127.0.0.1"), -1, -1, 0);
    X509_set_issuer_name(cert, name);
    X509V3_CTX context;
    X509V3_set_ctx(&context, cert, cert, nullptr, nullptr, 0);
    X509_EXTENSION* san =
        X509V3_EXT_conf_nid(nullptr, &context, NID_subject_alt_name, "IP:127.0.0.1");
    X509_add_ext(cert, san, -1);
    X509_EXTENSION_free(san);
    X509_sign(cert, key, EVP_sha256());
    FILE* cert_file = std::fopen(cert_path().c_str(), "w");
    PEM_write_X509(cert_file, cert);
    std::fclose(cert_file);
    FILE* key_file = std::fopen(key_path().c_str(), "w");
    PEM_write_PrivateKey(key_file, key, nullptr, nullptr, 0, nullptr, nullptr);
    std::fclose(key_file);
    X509_free(cert);
    EVP_PKEY_free(key);
  }
  ~TestCertificate() {
    std::remove(cert_path().c_str());
    std::remove(key_path().c_str());
    rmdir(dir_.c_str());
  }
  std::string cert_path() const { return dir_ + "/cert.pem"; }
  std::string key_path() const { return dir_ + "/key.pem"; }
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
};

ServerOptions Tls(const TestCertificate& certificate) {
  return WithArgs({"--tls-cert", certificate.cert_path(), "--tls-key", certificate.key_path()});
}

std::unique_ptr<httplib::Client> TlsClient(const SlotdProcess& server,
                                           const TestCertificate& certificate) {
  auto cli =
      std::make_unique<httplib::Client>("https://127.0.0.1:" + std::to_string(server.port()));
  cli->set_ca_cert_path(certificate.cert_path().c_str());
  cli->enable_server_certificate_verification(true);
  cli->set_connection_timeout(5, 0);
  cli->set_read_timeout(5, 0);
  return cli;
}

// Runs slotd with `args` until it exits (it must fail before listening);
// returns its exit status and what it wrote to stderr.
std::pair<int, std::string> RunFailing(const std::string& args) {
  const std::string err_path = "/tmp/slotd-tls-test-" + std::to_string(getpid()) + ".err";
  const std::string command = std::string(SlotdBinary()) + " --port 0 " + args + " 2>" + err_path +
                              " >/dev/null </dev/null";
  const int status = std::system(command.c_str());
  std::ifstream err(err_path);
  std::string text((std::istreambuf_iterator<char>(err)), std::istreambuf_iterator<char>());
  std::remove(err_path.c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, text};
}

TEST_CASE("with --tls-cert and --tls-key the server speaks HTTPS", "[tls]") {
  TestCertificate certificate;
  SlotdProcess server(Tls(certificate));
  INFO("line: " << server.listening_line());
  CHECK(server.listening_line().rfind("slotd listening on https://127.0.0.1:", 0) == 0);
  auto cli = TlsClient(server, certificate);
  RequireStatus(cli->Get("/api/health"), 200);
  RequireStatus(PostJson(*cli, "/api/v2/concurrency_limits/", R"({"name":"tls","limit":2})"), 201);
  RequireStatus(PostJson(*cli, "/api/v2/concurrency_limits/increment",
                         R"({"names":["tls"],"slots":2,"mode":"concurrency"})"),
                200);
  CHECK(ActiveSlots(*cli, "tls") == 2);
  // A redirect keeps the scheme.
  auto redirect = cli->Get("/api/health/");
  RequireStatus(redirect, 307);
  CHECK(redirect->get_header_value("Location").rfind("https://127.0.0.1:", 0) == 0);
}

TEST_CASE("plain HTTP to the TLS port gets no answer and the server keeps serving", "[tls]") {
  TestCertificate certificate;
  SlotdProcess server(Tls(certificate));
  CHECK_FALSE(
      RawRequest(server.port(), "GET", "/api/health", {}, {}, std::chrono::seconds(5)).has_value());
  RequireStatus(TlsClient(server, certificate)->Get("/api/health"), 200);
}

TEST_CASE("a TLS handshake trickled a byte at a time is cut off at the request timeout", "[tls]") {
  TestCertificate certificate;
  ServerOptions options = Tls(certificate);
  options.args.insert(options.args.end(), {"--request-timeout-seconds", "1"});
  SlotdProcess server(options);
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(server.port()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  const auto start = Clock::now();
  bool closed = false;
  const char hello_start[] = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03";
  for (size_t i = 0; !closed && Clock::now() - start < std::chrono::seconds(4); ++i) {
    send(fd, &hello_start[i % (sizeof hello_start - 1)], 1, MSG_NOSIGNAL);
    pollfd entry{fd, POLLIN, 0};
    char sink[64];
    closed = poll(&entry, 1, 100) > 0 && recv(fd, sink, sizeof sink, 0) <= 0;
  }
  const auto held = Clock::now() - start;
  close(fd);
  CHECK(closed);
  CHECK(held < std::chrono::seconds(3));
  RequireStatus(TlsClient(server, certificate)->Get("/api/health"), 200);
}

TEST_CASE("the server refuses to start with a TLS key that is missing or unreadable", "[tls]") {
  TestCertificate certificate;
  auto [alone_code, alone_err] = RunFailing("--tls-cert " + certificate.cert_path());
  CHECK(alone_code == 2);
  CHECK(alone_err.find("--tls-cert and --tls-key go together") != std::string::npos);
  auto [missing_code, missing_err] = RunFailing("--tls-cert " + certificate.cert_path() +
                                                " --tls-key " + certificate.dir() + "/none.pem");
  CHECK(missing_code == 1);
  CHECK(missing_err.find("cannot read TLS key") != std::string::npos);
}

TEST_CASE("basic auth from --auth-string-file guards the API and leaves health open",
          "[tls][auth]") {
  TestCertificate certificate;  // only for its temporary directory
  const std::string path = certificate.dir() + "/auth";
  std::ofstream(path) << "admin:from-file\n";
  SlotdProcess server(WithArgs({"--auth-string-file", path}));
  std::remove(path.c_str());
  auto cli = server.client();
  RequireStatus(cli->Get("/api/health"), 200);
  RequireStatus(cli->Get("/api/ready"), 200);
  RequireStatus(cli->Get("/api/hello"), 401);
  cli->set_basic_auth("admin", "from-file\n");
  RequireStatus(cli->Get("/api/hello"), 401);
  cli->set_basic_auth("admin", "from-file");
  RequireStatus(cli->Get("/api/hello"), 200);
  CHECK(server.stderr_text().find("warning") == std::string::npos);
}

TEST_CASE("an unreadable --auth-string-file stops the server from starting", "[tls][auth]") {
  auto [code, err] = RunFailing("--auth-string-file /nonexistent/slotd-auth");
  CHECK(code == 1);
  CHECK(err.find("cannot read /nonexistent/slotd-auth") != std::string::npos);
}

TEST_CASE("listening beyond loopback without authentication prints a warning", "[tls][auth]") {
  SlotdProcess open_server(WithArgs({"--host", "0.0.0.0"}));
  CHECK(open_server.stop().clean());
  INFO("stderr: " << open_server.stderr_text());
  CHECK(open_server.stderr_text().find("warning: listening on 0.0.0.0 without authentication") !=
        std::string::npos);
  SlotdProcess loopback;
  CHECK(loopback.stop().clean());
  CHECK(loopback.stderr_text().find("warning") == std::string::npos);
}

}  // namespace
}  // namespace slotd::e2e
