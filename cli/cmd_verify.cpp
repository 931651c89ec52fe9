// `ktape verify FILE...`: every problem of each recording (store/verify.hpp). Exit 0 when no file
// has an error (warnings allowed), else 1.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <memory>

#include "cli/age_flags.hpp"
#include "cli/commands.hpp"
#include "formats/json.hpp"
#include "formats/yaml.hpp"
#include "store/verify.hpp"

namespace ktape::cli {
namespace {

struct VerifyFlags {
  std::vector<std::string> paths;
  std::string output = "text";  // -o text|json|yaml
};

int run_verify(const VerifyFlags& f) {
  bool ok = true;
  formats::Value all = formats::Value::array();
  for (const auto& path : f.paths) {
    auto report = store::verify_recording(path);
    ok = ok && report.ok();
    if (f.output == "text")
      std::printf("%s", store::format_report_text(report).c_str());
    else
      all.push_back(store::report_to_value(report));
  }
  if (f.output == "json") std::printf("%s\n", formats::to_json_pretty(all).c_str());
  if (f.output == "yaml") std::printf("%s", formats::to_yaml(all).c_str());
  return ok ? 0 : 1;
}

void add_verify(CLI::App& app) {
  auto flags = std::make_shared<VerifyFlags>();
  auto* cmd = app.add_subcommand("verify", "Check recordings: sidecar, documents, order, patches, owners");
  cmd->add_option("FILE", flags->paths, "Recordings (.yaml, .gz, .zst; ktape's or kwok's)")->required();
  cmd->add_option("-o,--output", flags->output, "Output format")
      ->check(CLI::IsMember({"text", "json", "yaml"}));
  add_identity_flag(*cmd);
  cmd->callback([flags] { set_exit_code(run_verify(*flags)); });
}

const Registration verify_registration{add_verify};

}  // namespace
}  // namespace ktape::cli
