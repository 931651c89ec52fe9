#pragma once
// The age flags (formats/age.hpp): --encrypt-to / --encrypt-to-file on the commands that write a
// recording, --identity on the commands that read one. The keys are read while the command line
// is parsed and installed process-wide before the command runs; a bad key file or a recipient
// without a .age output is a usage error (exit 2) that names the file and line, never a key.
#include <string>

namespace CLI {  // NOLINT(readability-identifier-naming): CLI11 names its namespace
class App;
}

namespace ktape::cli {

// Adds --encrypt-to RECIPIENT (repeatable) and --encrypt-to-file FILE (repeatable) to `cmd`.
// `out_path` is the flag's storage of the path the command writes (it must outlive `cmd`): a path
// ending in .age needs a recipient, and a recipient needs a path ending in .age.
void add_encrypt_flags(CLI::App& cmd, const std::string& out_path);

// Adds --identity FILE (repeatable; age-keygen's format) to `cmd`.
void add_identity_flag(CLI::App& cmd);

}  // namespace ktape::cli
