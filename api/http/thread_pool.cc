#include "api/http/thread_pool.h"

#include <algorithm>

namespace slotd::api {

GrowingThreadPool::GrowingThreadPool(size_t initial_threads, size_t max_threads)
    : max_threads_(std::max<size_t>(max_threads, 1)) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (size_t i = 0; i < std::min(initial_threads, max_threads_); ++i) StartThreadLocked();
}

GrowingThreadPool::~GrowingThreadPool() { shutdown(); }

void GrowingThreadPool::enqueue(std::function<void()> task) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    tasks_.push_back(std::move(task));
    if (tasks_.size() > idle_threads_ && threads_.size() < max_threads_) StartThreadLocked();
  }
  task_ready_.notify_one();
}

void GrowingThreadPool::shutdown() {
  std::vector<std::thread> threads;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    shutting_down_ = true;
    threads.swap(threads_);
  }
  task_ready_.notify_all();
  for (std::thread& thread : threads) thread.join();
}

void GrowingThreadPool::StartThreadLocked() {
  threads_.emplace_back([this] { WorkerLoop(); });
}

void GrowingThreadPool::WorkerLoop() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    ++idle_threads_;
    task_ready_.wait(lock, [this] { return !tasks_.empty() || shutting_down_; });
    --idle_threads_;
    if (tasks_.empty()) return;  // shutting down with nothing left to run
    std::function<void()> task = std::move(tasks_.front());
    tasks_.pop_front();
    lock.unlock();
    task();
    lock.lock();
  }
}

}  // namespace slotd::api
