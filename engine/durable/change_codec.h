// The bytes of a Change, and the frame around each one in a journal or
// snapshot file: [payload length: u32][CRC-32 of the payload: u32][payload],
// little-endian. The CRC is Boost.CRC's crc_32_type (the zlib/PNG CRC).
//
// A payload is versioned (its first byte), so a later slotd can read an older
// data dir or refuse it by name.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "engine/change.h"

namespace slotd::durable {

inline constexpr size_t kFrameHeaderBytes = 8;
// No change comes near this (a v1 reset of 100k runs is about 10 MB); a
// length above it is damage, not a record.
inline constexpr uint32_t kMaxPayloadBytes = 64u << 20;

// Appends the payload of `change` to *out.
void EncodeChange(const Change& change, std::string* out);
// Parses a payload; false if it is not exactly one well-formed change.
[[nodiscard]] bool DecodeChange(std::span<const uint8_t> payload, Change* out);

// Framing in two steps, so the CRC can be computed away from the engine's
// locks: BeginFrame appends a header and returns its offset; once the payload
// follows it, EndFrame records the payload's length there; SealFrames later
// fills in the CRC of every frame from `from` to the end (whole frames only).
size_t BeginFrame(std::string* out);
void EndFrame(std::string& buffer, size_t offset);
void SealFrames(std::string& buffer, size_t from);

uint32_t Crc32(std::span<const uint8_t> bytes);

// The frame at the start of `bytes`.
struct FrameRead {
  enum class Outcome {
    kOk,         // `payload` is the frame's payload; it takes `size` bytes
    kTruncated,  // the bytes end inside the frame (or its header)
    kBadLength,  // the length is 0 or above kMaxPayloadBytes
    kBadCrc,     // the payload does not match its CRC
  };
  Outcome outcome = Outcome::kOk;
  std::span<const uint8_t> payload;
  size_t size = 0;
};
// check_crc false: for frames already checked (a snapshot is checked whole
// before any of it is applied), skipping the CRC's second pass.
FrameRead ReadFrame(std::span<const uint8_t> bytes, bool check_crc = true);

const char* FrameOutcomeName(FrameRead::Outcome outcome);

// The whole frames at the start of `bytes` whose CRCs match, checked on two
// threads when there are many (start-up checks every record of a journal
// or snapshot before it applies them: the CRC was a fifth of a restart's
// time): how many, and how many bytes they take. They end where the bytes
// end or at the first frame ReadFrame does not find kOk.
struct FramesChecked {
  size_t frames = 0;
  size_t bytes = 0;
};
FramesChecked CheckFrames(std::span<const uint8_t> bytes);

}  // namespace slotd::durable
