#pragma once
// `ktape show --html`: one self-contained page (inline SVG and script; nothing fetched) to look
// at a recording: events per resource over time, then each object's lifeline (created, changed,
// deleted) grouped by namespace and owner; a click on an event shows its patch. Made in one
// streaming pass; what it holds is capped (HtmlOptions), so a recording of any size makes a page
// a browser draws at once: timelines are buckets, lifelines are drawn for the first objects only,
// each with its first events.
#include <cstddef>
#include <string>

#include "formats/error.hpp"

namespace ktape::store {

struct HtmlOptions {
  std::size_t max_objects = 1500;          // objects given a lifeline; the rest are counted
  std::size_t max_steps_per_object = 40;   // events drawn on one lifeline; the rest are counted
  std::size_t max_patch_bytes = 2048;      // of a patch's JSON kept for its detail view
  std::size_t max_patch_total = 8u << 20;  // of all patches' JSON kept; later ones are left out
};

// The page for the recording at `path`. An Error only when the file cannot be opened; a read that
// stops on bad input makes a page of what was read, with the error shown at its top.
Result<std::string> render_html(const std::string& path, const HtmlOptions& options = {});

// Writes render_html(path) to `out` (mode 0600, as the recording: patches may hold Secret data),
// replacing an existing file.
Result<void> write_html(const std::string& path, const std::string& out, const HtmlOptions& options = {});

}  // namespace ktape::store
