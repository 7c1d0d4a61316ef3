// The log ring: bounded (oldest dropped first), and Prefect's LogFilter over it.
#include "api/prefect/log_ring.h"

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace slotd::api::test {
namespace {

const TimePoint kStart = TimePoint(std::chrono::seconds(1'800'000'000));

LogRing::Entry Log(std::string message, int64_t level = 20, int seconds = 0,
                   std::optional<Uuid> flow_run = std::nullopt) {
  auto log = std::make_shared<StoredLog>();
  log->id = NewRandomUuid();
  log->message = std::move(message);
  log->level = level;
  log->timestamp = kStart + std::chrono::seconds(seconds);
  log->flow_run_id = flow_run;
  return log;
}

std::vector<std::string> Messages(const std::vector<LogRing::Entry>& logs) {
  std::vector<std::string> out;
  for (const auto& log : logs) out.push_back(log->message);
  return out;
}

LogQuery All() {
  LogQuery query;
  query.limit = 100;
  return query;
}

}  // namespace

TEST_CASE("a full log ring drops its oldest logs first", "[log_ring]") {
  LogRing ring(2);
  ring.Append({Log("a", 20, 1), Log("b", 20, 2)});
  ring.Append({Log("c", 20, 3)});
  CHECK(ring.size() == 2);
  CHECK(Messages(QueryLogs(ring, All())) == std::vector<std::string>{"b", "c"});
}

TEST_CASE("logs come by timestamp, ties in arrival order, either way round", "[log_ring]") {
  LogRing ring(10);
  ring.Append({Log("late", 20, 5), Log("tie-1", 20, 1), Log("tie-2", 20, 1)});
  CHECK(Messages(QueryLogs(ring, All())) == std::vector<std::string>{"tie-1", "tie-2", "late"});
  LogQuery newest = All();
  newest.newest_first = true;
  CHECK(Messages(QueryLogs(ring, newest)) == std::vector<std::string>{"late", "tie-1", "tie-2"});
}

TEST_CASE("offset and limit page the sorted logs", "[log_ring]") {
  LogRing ring(10);
  ring.Append({Log("a", 20, 1), Log("b", 20, 2), Log("c", 20, 3)});
  LogQuery query = All();
  query.offset = 1;
  query.limit = 1;
  CHECK(Messages(QueryLogs(ring, query)) == std::vector<std::string>{"b"});
  query.offset = 5;
  CHECK(QueryLogs(ring, query).empty());
}

TEST_CASE("criteria are ANDed, or ORed with the or_ operator", "[log_ring]") {
  LogRing ring(10);
  const Uuid run = NewRandomUuid();
  ring.Append({Log("debug of run", 10, 1, run), Log("error elsewhere", 40, 2)});
  LogQuery query = All();
  query.level_ge = 30;
  query.flow_runs = std::vector<Uuid>{run};
  CHECK(QueryLogs(ring, query).empty());
  query.any_clause = true;
  CHECK(Messages(QueryLogs(ring, query)) ==
        std::vector<std::string>{"debug of run", "error elsewhere"});
}

TEST_CASE("a task run filter of is_null_ keeps logs without a task run", "[log_ring]") {
  LogRing ring(10);
  auto of_task = std::make_shared<StoredLog>(*Log("of a task", 20, 1));
  of_task->task_run_id = NewRandomUuid();
  ring.Append({of_task, Log("of no task", 20, 2)});
  LogQuery query = All();
  query.task_run_is_null = true;
  CHECK(Messages(QueryLogs(ring, query)) == std::vector<std::string>{"of no task"});
  query.task_run_is_null = false;
  CHECK(Messages(QueryLogs(ring, query)) == std::vector<std::string>{"of a task"});
}

TEST_CASE("threads append and read the ring at once, and it stays bounded", "[log_ring]") {
  LogRing ring(500);
  std::atomic<size_t> most_read{0};  // Catch2's CHECK is not for other threads
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&ring, &most_read, t] {
      for (int i = 0; i < 1000; ++i) {
        ring.Append({Log("t" + std::to_string(t), 20, i)});
        if (i % 100 == 0) {
          LogQuery query = All();
          query.limit = 1000;
          most_read = std::max(most_read.load(), QueryLogs(ring, query).size());
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  CHECK(ring.size() == 500);
  CHECK(most_read.load() <= 500);
}

TEST_CASE("a log lists Prefect's Log fields in order", "[log_ring]") {
  auto log = std::make_shared<StoredLog>(*Log("hi", 20, 0));
  log->name = "prefect";
  log->created = kStart + Micros(5);
  const std::vector<LogRing::Entry> logs{log};
  const std::string json = LogListJson(logs);
  CHECK(json == "[{\"id\":\"" + FormatUuid(log->id) +
                    "\",\"created\":\"2027-01-15T08:00:00.000005Z\",\"updated\":\"2027-01-15T08:"
                    "00:00.000005Z\",\"name\":\"prefect\",\"level\":20,\"message\":\"hi\","
                    "\"timestamp\":\"2027-01-15T08:00:00Z\",\"flow_run_id\":null,\"task_run_id\""
                    ":null}]");
}

}  // namespace slotd::api::test
