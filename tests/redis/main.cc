// The Catch2 main of the Redis store's tests.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
