#include "cli/storage_flags.hpp"

#include <memory>
#include <optional>

#include "formats/raw_store.hpp"
#include "s3/store.hpp"

namespace ktape::cli {

void add_storage_options(CLI::App& app) {
  auto endpoint = std::make_shared<std::optional<std::string>>();
  app.add_option("--s3-endpoint", *endpoint,
                 "S3-compatible endpoint for s3:// paths (default: $AWS_ENDPOINT_URL, else AWS's)")
      ->type_name("URL");
  app.fallthrough();  // `ktape ls s3://b/p/ --s3-endpoint URL` as well as before the subcommand
  formats::register_raw_store("s3://", s3::make_lazy_store([endpoint]() -> Result<s3::Config> {
                                return s3::load_config(s3::process_sources(*endpoint));
                              }));
}

}  // namespace ktape::cli
