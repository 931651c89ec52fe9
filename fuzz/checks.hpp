#pragma once
// The fuzz checks: one function per target, each taking any bytes and checking the invariants of
// one input surface of ktape. A broken invariant, like a crash or a sanitizer report, aborts the
// process, so that libFuzzer keeps the input. The libFuzzer programs (targets/target.cpp.in, built
// with -DKTAPE_BUILD_FUZZ=ON and clang: scripts/fuzz.sh) call these; so does tests/fuzz, which
// replays the regression inputs in testdata/fuzz/TARGET/ in the normal suites.
#include <string_view>

namespace ktape::fuzz {

// formats::DocumentReader over the bytes. The first byte picks the layer: 'g' gzip-compresses
// the rest, 'z' zstd-compresses it, anything else feeds the input as it is (corrupt compressed
// streams then come through magic-byte detection). The reader never crashes and ends; each
// document is a mapping; and for the rest taken as one document, whatever both YAML paths (the
// fast block-subset path and yaml-cpp) accept, they read the same.
void check_reader(std::string_view input);

// formats::parse_json and split_json_object: a value parse_json accepts is written back by
// to_json as text that reads the same; split_json_object accepts every object parse_json does
// (of under 1,000 bytes), and each member it finds exists.
void check_json(std::string_view input);

// The three patch appliers never crash. Input: a type byte ('j' JSON patch, 'm' merge patch, else
// strategic), the target JSON, a "\n---\n" line, the patch JSON. For a type outside the strategic
// table, strategic apply equals merge apply; a strategic patch ktape creates between the two
// documents applies.
void check_patch(std::string_view input);

// kube::load_kubeconfig over the bytes as a kubeconfig file: a RestConfig or an Error, and an
// Error never quotes a `token: SECRETTOKEN` the file holds.
void check_kubeconfig(std::string_view input);

// kube::scan_watch_event (the structural walk) against decode_watch_event (the full parse): when
// both accept a line they agree on type, resourceVersion and name.
void check_watch(std::string_view input);

// sim::decode_protobuf_object: an object or a 400/415 ApiError, never a crash.
void check_protobuf(std::string_view input);

// The simulated cluster's request handling without a socket: the bytes as an HTTP/1.1 request
// read by Beast's parser with the server's limits, sim::to_request, sim::Api::handle against one
// store (replaced every 2,000 inputs). Every answer has a status in 100..599 and JSON answers
// parse. Not thread-safe (the store is shared between calls).
void check_sim_request(std::string_view input);

}  // namespace ktape::fuzz
