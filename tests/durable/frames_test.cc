// CheckFrames, which start-up runs over every journal and snapshot before it
// applies them: on two threads past a few MiB, it must find exactly the
// good prefix a frame-by-frame walk finds, wherever the damage is.
#include <catch2/catch.hpp>
#include <span>
#include <string>
#include <vector>

#include "engine/durable/change_codec.h"

namespace slotd::durable {
namespace {

std::span<const uint8_t> Bytes(const std::string& text) {
  return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

// `count` sealed frames of varied lengths; *offsets gets where each starts.
std::string Frames(size_t count, std::vector<size_t>* offsets) {
  std::string buffer;
  for (size_t i = 0; i < count; ++i) {
    offsets->push_back(buffer.size());
    const size_t header = BeginFrame(&buffer);
    buffer.append(40 + i % 200, static_cast<char>('a' + i % 26));
    EndFrame(buffer, header);
  }
  SealFrames(buffer, 0);
  return buffer;
}

// The good prefix, one frame after the other.
FramesChecked Walk(std::span<const uint8_t> bytes) {
  FramesChecked walked;
  while (walked.bytes < bytes.size()) {
    const FrameRead frame = ReadFrame(bytes.subspan(walked.bytes));
    if (frame.outcome != FrameRead::Outcome::kOk) break;
    ++walked.frames;
    walked.bytes += frame.size;
  }
  return walked;
}

void CheckAgainstWalk(const std::string& buffer) {
  const FramesChecked checked = CheckFrames(Bytes(buffer));
  const FramesChecked walked = Walk(Bytes(buffer));
  CHECK(checked.frames == walked.frames);
  CHECK(checked.bytes == walked.bytes);
}

TEST_CASE("CheckFrames finds the good prefix a frame-by-frame walk finds", "[durable]") {
  std::vector<size_t> offsets;
  // About 8 MiB: past the size where the second thread checks half.
  const std::string whole = Frames(60000, &offsets);
  REQUIRE(whole.size() > (6u << 20));

  SECTION("every frame good") {
    const FramesChecked checked = CheckFrames(Bytes(whole));
    CHECK(checked.frames == offsets.size());
    CHECK(checked.bytes == whole.size());
  }
  SECTION("a flipped payload byte, in either half and at the seam") {
    for (const size_t bad : {size_t{0}, size_t{1234}, offsets.size() / 2 - 1, offsets.size() / 2,
                             offsets.size() / 2 + 1, offsets.size() * 3 / 4, offsets.size() - 1}) {
      std::string damaged = whole;
      damaged[offsets[bad] + kFrameHeaderBytes + 3] ^= 0x10;
      INFO("bad frame " << bad);
      const FramesChecked checked = CheckFrames(Bytes(damaged));
      CHECK(checked.frames == bad);
      CHECK(checked.bytes == offsets[bad]);
      CheckAgainstWalk(damaged);
    }
  }
  SECTION("two bad frames: the first counts") {
    std::string damaged = whole;
    damaged[offsets[50000] + kFrameHeaderBytes] ^= 1;
    damaged[offsets[100] + kFrameHeaderBytes] ^= 1;
    CHECK(CheckFrames(Bytes(damaged)).frames == 100);
  }
  SECTION("an impossible length in the second half") {
    std::string damaged = whole;
    damaged[offsets[45000] + 3] = static_cast<char>(0x7f);
    CHECK(CheckFrames(Bytes(damaged)).frames == 45000);
    CheckAgainstWalk(damaged);
  }
  SECTION("a torn tail") {
    const std::string torn = whole.substr(0, whole.size() - 5);
    const FramesChecked checked = CheckFrames(Bytes(torn));
    CHECK(checked.frames == offsets.size() - 1);
    CHECK(checked.bytes == offsets.back());
  }
  SECTION("zeros after the frames") {
    std::string padded = whole;
    padded.append(4096, '\0');
    // A zero header would be a frame of length 0 whose CRC (0) matches; no
    // change is empty, so it is not a frame.
    const FramesChecked checked = CheckFrames(Bytes(padded));
    CHECK(checked.frames == offsets.size());
    CHECK(checked.bytes == whole.size());
    CheckAgainstWalk(padded);
  }
}

TEST_CASE("CheckFrames on few bytes checks them on one thread alike", "[durable]") {
  std::vector<size_t> offsets;
  std::string small = Frames(50, &offsets);
  CHECK(CheckFrames(Bytes(small)).frames == 50);
  small[offsets[20] + kFrameHeaderBytes + 1] ^= 4;
  CheckAgainstWalk(small);
  CHECK(CheckFrames(Bytes(small)).frames == 20);
  CHECK(CheckFrames({}).frames == 0);
}

}  // namespace
}  // namespace slotd::durable
