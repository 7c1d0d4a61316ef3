#include "api/http/thread_pool.h"

#include <algorithm>

namespace slotd::api {

GrowingThreadPool::GrowingThreadPool(size_t initial_threads, size_t max_threads)
    : max_threads_(std::max<size_t>(max_threads, 1)) {
  MutexLock lock(&mutex_);
  for (size_t i = 0; i < std::min(initial_threads, max_threads_); ++i) StartThreadLocked();
}

GrowingThreadPool::~GrowingThreadPool() { shutdown(); }

void GrowingThreadPool::enqueue(std::function<void()> task) {
  {
    MutexLock lock(&mutex_);
    tasks_.push_back(std::move(task));
    if (tasks_.size() > idle_threads_ && threads_.size() < max_threads_) StartThreadLocked();
  }
  task_ready_.Signal();
}

void GrowingThreadPool::shutdown() {
  std::vector<std::thread> threads;
  {
    MutexLock lock(&mutex_);
    shutting_down_ = true;
    threads.swap(threads_);
  }
  task_ready_.SignalAll();
  for (std::thread& thread : threads) thread.join();
}

void GrowingThreadPool::StartThreadLocked() {
  threads_.emplace_back([this] { WorkerLoop(); });
}

void GrowingThreadPool::WorkerLoop() {
  MutexLock lock(&mutex_);
  while (true) {
    ++idle_threads_;
    while (tasks_.empty() && !shutting_down_) task_ready_.Wait(&mutex_);
    --idle_threads_;
    if (tasks_.empty()) return;  // shutting down with nothing left to run
    std::function<void()> task = std::move(tasks_.front());
    tasks_.pop_front();
    mutex_.Unlock();
    task();
    mutex_.Lock();
  }
}

}  // namespace slotd::api
