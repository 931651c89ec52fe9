#pragma once
// Selection flags shared by record, export and replay (one kube::Selection): --resource/--filter,
// --exclude-resource, -n/--namespace (globs), -A, --exclude-namespace, -l/--selector. Values may be
// comma-separated or repeated.
#include "kube/selection.hpp"

namespace CLI {  // NOLINT(readability-identifier-naming): CLI11 names its namespace
class App;
}

namespace ktape::cli {

struct SelectionFlags {
  kube::Selection selection;
  bool all_namespaces = false;
};

void add_selection_flags(CLI::App& cmd, SelectionFlags& flags);
// Splits comma-separated values; -A clears -n. Returns the selection to use.
kube::Selection finish_selection(const SelectionFlags& flags);

}  // namespace ktape::cli
