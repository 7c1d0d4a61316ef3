// The Catch2 main of the durable store's tests.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
