// Runs the slotd-contend tests. SIGPIPE is ignored, as slotd-contend itself
// does, so a server closing a connection is an error on one request.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>
#include <csignal>

int main(int argc, char* argv[]) {
  std::signal(SIGPIPE, SIG_IGN);
  return Catch::Session().run(argc, argv);
}
