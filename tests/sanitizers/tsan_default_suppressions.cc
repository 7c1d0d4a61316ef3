// ThreadSanitizer reads these suppressions at start in every binary of a
// SLOTD_TSAN build (CMakeLists.txt links this file into each), so the test
// suite, the e2e servers it spawns and a server started by hand all agree.
//
// Debian's cpp-httplib is a shared library built without ThreadSanitizer.
// TSAN sees only what that library does through intercepted calls (memcpy,
// memcmp, mutexes), never its own loads and stores. Its function-local
// statics (the set of methods in Server::parse_request_line, the regexes
// for Range and multipart headers) are built by the first worker to need
// them. A later worker checks their guard with a plain acquire load TSAN
// cannot see, so its memcmp over the set looks unordered with the first
// worker's memcpy and is reported as a race ("half-sent requests do not stop
// a new client being served" failed on it in 1 run of 55, then in 6 of 120).
//
// called_from_lib ignores the memory accesses of interceptors called
// straight from the library. Its synchronisation (mutexes, thread creation)
// still counts, and every access made by slotd's own code, including the
// handlers httplib calls, is still checked.
extern "C" const char* __tsan_default_suppressions() {
  return "called_from_lib:libcpp-httplib.so\n";
}
