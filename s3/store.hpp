#pragma once
// S3 as the raw store of "s3://" paths (formats/raw_store.hpp): objects read in ranged GETs of one
// part each, written as one PUT when small and as a streaming multipart upload otherwise, so
// memory stays at about one part (Config::part_bytes) whatever the object's size. An upload that
// fails or is never committed is aborted: no half-written object ever appears.
#include <functional>
#include <memory>

#include "formats/raw_store.hpp"
#include "s3/config.hpp"

namespace ktape::s3 {

// A store over `config`.
std::shared_ptr<formats::RawStore> make_store(Config config);
// A store whose configuration is loaded by `load` at its first use (so that a command that never
// touches S3 never needs credentials); a load Error is returned by every call.
std::shared_ptr<formats::RawStore> make_lazy_store(std::function<Result<Config>()> load);

}  // namespace ktape::s3
