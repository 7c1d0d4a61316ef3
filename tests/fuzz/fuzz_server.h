// A small slotd for the fuzz targets: a real engine on a manual clock with a
// pinned random source, a few limits and a lease to aim at, and the checks
// every answer must pass whatever the input was.
//
// The engine is rebuilt every kInputsPerEngine inputs, so limits and leases
// that fuzzed requests create cannot pile up and slow the run down.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "api/prefect/dispatch.h"
#include "engine/memory_slot_store.h"

namespace slotd::fuzz {

using api::ApiRequest;
using api::ApiResponse;

class FuzzServer {
 public:
  static constexpr size_t kInputsPerEngine = 2000;

  // One per process: the targets are single-threaded.
  static FuzzServer& Get();

  // Answers `request`, then aborts (a finding) if the answer breaks a rule
  // that holds for every request: a known status, a JSON body, an Allow
  // header exactly on 405, and no engine change on a refusal.
  ApiResponse Call(const ApiRequest& request);

  // A lease of the current engine (it holds one slot of "g1"), so renew and
  // release requests can find something. Changes when the engine is rebuilt.
  const std::string& lease_id() const { return lease_id_; }

 private:
  FuzzServer() { Reset(); }
  void Reset();
  // Every limit, with holders, in one string: equal strings, equal state.
  std::string StateText();

  std::shared_ptr<ManualTimeSource> clock_;
  std::unique_ptr<SlotEngine> engine_;
  std::unique_ptr<MemorySlotStore> store_;  // the handlers' view of engine_
  api::ApiContext context_;
  std::string lease_id_;
  size_t inputs_ = 0;
};

}  // namespace slotd::fuzz
