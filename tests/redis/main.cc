// The Catch2 main of the Redis store's tests. SIGPIPE is ignored, as
// slotd's main ignores it: hiredis may write to a Redis a test has killed.
#define CATCH_CONFIG_RUNNER
#include <signal.h>

#include <catch2/catch.hpp>

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);
  return Catch::Session().run(argc, argv);
}
