// The bytes of request bodies every connection together may hold in memory
// (--max-body-total-bytes). A reader reserves a body's bytes before it keeps
// any (a Content-Length at once, a chunked body chunk by chunk) and gives
// them back when the request is answered or refused; a request that would
// pass the budget is refused 503 with Retry-After, so memory stays bounded
// however many connections send bodies at once. Shared by the I/O threads.
#pragma once

#include <atomic>
#include <cstddef>

namespace slotd::api {

class BodyBudget {
 public:
  explicit BodyBudget(size_t total) : total_(total) {}
  BodyBudget(const BodyBudget&) = delete;
  BodyBudget& operator=(const BodyBudget&) = delete;

  // Takes `bytes` if they fit beside what is held; false (nothing taken)
  // if not.
  bool Reserve(size_t bytes) {
    size_t held = held_.load(std::memory_order_relaxed);
    do {
      if (bytes > total_ - held) return false;
    } while (!held_.compare_exchange_weak(held, held + bytes, std::memory_order_relaxed));
    return true;
  }
  void Release(size_t bytes) { held_.fetch_sub(bytes, std::memory_order_relaxed); }

  size_t held() const { return held_.load(std::memory_order_relaxed); }
  size_t total() const { return total_; }

 private:
  const size_t total_;
  std::atomic<size_t> held_{0};
};

}  // namespace slotd::api
