// The worker pool behind the HTTP server.
//
// cpp-httplib runs each connection on one pool thread for as long as the
// connection stays open, waiting between requests of a keep-alive client.
// Its default fixed pool of 8 threads therefore stops serving anyone new
// once 8 clients hold idle connections. This pool starts a thread whenever
// a connection arrives and no thread is idle, up to a cap, so hundreds of
// idle keep-alive clients do not delay a new one.
#pragma once

#include <httplib.h>

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

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
  void StartThreadLocked();
  void WorkerLoop();

  const size_t max_threads_;
  std::mutex mutex_;
  std::condition_variable task_ready_;
  std::deque<std::function<void()>> tasks_;  // guarded by mutex_
  std::vector<std::thread> threads_;         // guarded by mutex_
  size_t idle_threads_ = 0;                  // guarded by mutex_
  bool shutting_down_ = false;               // guarded by mutex_
};

}  // namespace slotd::api
