// The Catch2 main of the REST front's unit tests.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
