// The worker pool behind the HTTP server.
//
// cpp-httplib runs each connection on one pool thread for as long as the
// connection stays open, waiting between requests of a keep-alive client.
// Its default fixed pool of 8 threads therefore stops serving anyone new
// once 8 clients hold idle connections. This pool starts a thread whenever
// a connection arrives and no thread is idle, up to a cap, so hundreds of
// idle keep-alive clients do not delay a new one.
#pragma once

#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "api/http/httplib_coupling.h"
#include "engine/mutex.h"

namespace slotd::api {

class GrowingThreadPool final : public httplib::TaskQueue {
 public:
  // Starts `initial_threads` at once; never runs more than `max_threads`
  // (beyond that, connections wait in the queue for a free thread).
  GrowingThreadPool(size_t initial_threads, size_t max_threads);
  ~GrowingThreadPool() override;

  void enqueue(std::function<void()> task) override;
  // Runs the queued tasks to completion, then joins every thread.
  void shutdown() override;

 private:
  void StartThreadLocked() SLOTD_REQUIRES(mutex_);
  void WorkerLoop() SLOTD_EXCLUDES(mutex_);

  const size_t max_threads_;
  Mutex mutex_;
  CondVar task_ready_;
  std::deque<std::function<void()>> tasks_ SLOTD_GUARDED_BY(mutex_);
  std::vector<std::thread> threads_ SLOTD_GUARDED_BY(mutex_);
  size_t idle_threads_ SLOTD_GUARDED_BY(mutex_) = 0;
  bool shutting_down_ SLOTD_GUARDED_BY(mutex_) = false;
};

}  // namespace slotd::api
