// Fuzzes the durable store's reader of its own files: the frames of a
// journal or snapshot (engine/durable/change_codec.h: length, CRC, payload)
// and the payload decoder, which start-up runs over whatever the disk holds.
//
// The input is read twice: as one payload given to DecodeChange directly (so
// mutations reach the decoder without having to forge a CRC), and as a
// stream of frames read with ReadFrame, each whole one decoded. It aborts (a
// finding) if a frame's reported size runs past the input or is not its
// header plus its payload; if a decoded change does not encode to a payload
// that decodes again to a change encoding to the same bytes (what replay
// applies must be what was decoded); if CheckFrames finds another good
// prefix than the walk; or on any sanitizer report.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>

#include "engine/change.h"
#include "engine/durable/change_codec.h"

namespace {

using slotd::Change;
using slotd::durable::DecodeChange;
using slotd::durable::EncodeChange;
using slotd::durable::FrameRead;
using slotd::durable::ReadFrame;

[[noreturn]] void Finding(const char* what) {
  std::fprintf(stderr, "journal_record_fuzzer finding: %s\n", what);
  std::abort();
}

std::span<const uint8_t> Bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

void CheckRoundTrip(std::span<const uint8_t> payload) {
  Change decoded;
  if (!DecodeChange(payload, &decoded)) return;
  std::string encoded;
  EncodeChange(decoded, &encoded);
  Change again;
  if (!DecodeChange(Bytes(encoded), &again))
    Finding("a decoded change encodes to an undecodable payload");
  std::string reencoded;
  EncodeChange(again, &reencoded);
  if (reencoded != encoded) Finding("a decoded change does not survive encode and decode");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> input(data, size);
  CheckRoundTrip(input);
  size_t at = 0;
  size_t frames = 0;
  while (at < size) {
    const FrameRead frame = ReadFrame(input.subspan(at));
    if (frame.outcome != FrameRead::Outcome::kOk) break;
    if (frame.size > size - at ||
        frame.size != slotd::durable::kFrameHeaderBytes + frame.payload.size()) {
      Finding("a frame's size is not its header and payload within the input");
    }
    CheckRoundTrip(frame.payload);
    at += frame.size;
    ++frames;
  }
  // CheckFrames (start-up's CRC pass) must find the same good prefix.
  const slotd::durable::FramesChecked checked = slotd::durable::CheckFrames(input);
  if (checked.frames != frames || checked.bytes != at) {
    Finding("CheckFrames and a frame-by-frame walk disagree on the good frames");
  }
  return 0;
}
