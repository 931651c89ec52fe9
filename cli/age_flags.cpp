#include "cli/age_flags.hpp"

#include <CLI/CLI.hpp>

#include <memory>
#include <vector>

#include "formats/age.hpp"

namespace ktape::cli {

namespace {

struct EncryptFlags {
  std::vector<std::string> recipients;  // --encrypt-to
  std::vector<std::string> files;       // --encrypt-to-file
};

// The recipients of the flags, or a usage error naming what is wrong.
std::vector<formats::AgeRecipient> recipients_of(const EncryptFlags& flags) {
  std::vector<formats::AgeRecipient> out;
  for (const auto& text : flags.recipients) {
    auto r = formats::parse_age_recipient(text);
    if (!r) throw CLI::ValidationError("--encrypt-to", r.error().message);
    out.push_back(*r);
  }
  for (const auto& file : flags.files) {
    auto rs = formats::read_age_recipients_file(file);
    if (!rs) throw CLI::ValidationError("--encrypt-to-file", rs.error().message);
    out.insert(out.end(), rs->begin(), rs->end());
  }
  return out;
}

}  // namespace

void add_encrypt_flags(CLI::App& cmd, const std::string& out_path) {
  auto flags = std::make_shared<EncryptFlags>();
  cmd.add_option(
         "--encrypt-to", flags->recipients,
         "Encrypt the output with age to this recipient (age1..., repeatable); the path must end in .age")
      ->allow_extra_args(false);  // one value per flag: a positional after it stays a positional
  cmd.add_option(
         "--encrypt-to-file", flags->files,
         "Encrypt the output with age to the recipients in this file (one age1... a line, repeatable)")
      ->allow_extra_args(false);
  cmd.parse_complete_callback([flags, &out_path] {
    auto recipients = recipients_of(*flags);
    bool age_path = formats::is_age_path(out_path);
    if (!recipients.empty() && !age_path)
      throw CLI::ValidationError(
          "--encrypt-to",
          "the output " + out_path + " must end in .age to be encrypted (e.g. NAME.yaml.zst.age)");
    if (recipients.empty() && age_path)
      throw CLI::ValidationError("--encrypt-to", out_path +
                                                     " ends in .age: give --encrypt-to RECIPIENT or "
                                                     "--encrypt-to-file FILE");
    formats::set_age_recipients(std::move(recipients));
  });
}

void add_identity_flag(CLI::App& cmd) {
  cmd.add_option_function<std::vector<std::string>>(
         "--identity",
         [](const std::vector<std::string>& files) {
           std::vector<formats::AgeIdentity> identities;
           for (const auto& file : files) {
             auto ids = formats::read_age_identities_file(file);
             if (!ids) throw CLI::ValidationError("--identity", ids.error().message);
             identities.insert(identities.end(), ids->begin(), ids->end());
           }
           formats::set_age_identities(std::move(identities));
         },
         "An age identity file (as age-keygen writes it) to read encrypted recordings (.age); repeatable")
      ->allow_extra_args(false);
}

}  // namespace ktape::cli
