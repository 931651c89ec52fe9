#pragma once
// Reading a ResourcePatch without copying its template: show and verify read every event of a
// file, and a copy of each template would cost them a third of the reader's speed.
#include <string>
#include <vector>
#include "formats/error.hpp"
#include "formats/recording.hpp"

#include "formats/value.hpp"

namespace ktape::store {

// formats::parse_resource_patch(doc), with the template moved out of `doc` into the result
// instead of copied (`doc` is left without it). The same errors, naming the same fields.
Result<formats::ResourcePatch> take_resource_patch(formats::Value& doc);

// True when the document's comments mark a relist's event ("# resync"), as RecordingReader reads them.
bool has_resync_comment(const std::vector<std::string>& comments);

}  // namespace ktape::store
