// The Catch2 main of the unit tests of api/ (one per layer).
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
