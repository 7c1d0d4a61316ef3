// Runs the end-to-end tests. SIGPIPE is ignored so that a server closing a
// connection mid-request shows up as a client error, not a dead test process
// (the server itself starts with default signal dispositions).
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>
#include <csignal>

int main(int argc, char* argv[]) {
  std::signal(SIGPIPE, SIG_IGN);
  return Catch::Session().run(argc, argv);
}
