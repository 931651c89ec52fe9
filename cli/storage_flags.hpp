#pragma once
// Remote storage for every path a command accepts: `--s3-endpoint URL` (given anywhere on the
// command line) and the registration of s3:// paths with formats/ (s3/store.hpp). Credentials and
// the rest come from the environment and ~/.aws as the AWS CLI reads them, at the first s3://
// path a command opens, so commands that never touch S3 never need them.
#include <CLI/CLI.hpp>

namespace ktape::cli {

// Adds the global --s3-endpoint option to `app` (letting subcommands pass it up) and registers
// the s3:// store. Call once in main(), before the subcommands are added.
void add_storage_options(CLI::App& app);

}  // namespace ktape::cli
