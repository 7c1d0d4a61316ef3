// The process's open-file limit, which bounds how many connections it can
// hold: one descriptor each.
#pragma once

#include <cstddef>

namespace slotd::api {

// Raises the soft RLIMIT_NOFILE to the hard limit and returns the soft limit
// now in force (unchanged if raising failed).
size_t RaiseOpenFileLimit();

// Descriptors kept for everything but connections: the listening socket, the
// event loops' epoll and eventfd descriptors, stdio, the spare descriptor of
// the listener, and some slack.
inline constexpr size_t kReservedFiles = 64;

}  // namespace slotd::api
