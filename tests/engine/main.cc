// The Catch2 main of the engine's unit tests.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
