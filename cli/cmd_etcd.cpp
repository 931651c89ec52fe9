// `ktape etcd ls SNAPSHOT`: the live keys of an etcd snapshot (etcdctl snapshot save, or a
// member/snap/db file), read directly by etcd/ (no etcd process), with their revision and how
// their value is stored; at the latest revision or at --revision N.
#include <CLI/CLI.hpp>

#include <iostream>
#include <map>

#include "cli/commands.hpp"
#include "etcd/mvcc.hpp"

namespace ktape::cli {
namespace {

struct EtcdLsFlags {
  std::string path;
  std::string prefix = "/registry/";
  std::int64_t revision = 0;  // 0: the latest
};

int run_etcd_ls(const EtcdLsFlags& flags) {
  auto file = etcd::BoltFile::open(flags.path);
  if (!file) {
    std::cerr << "ktape etcd ls: " << file.error().message << "\n";
    return 1;
  }
  auto space = etcd::read_key_space(*file, flags.prefix, flags.revision);
  if (!space) {
    std::cerr << "ktape etcd ls: " << space.error().message << "\n";
    return 1;
  }
  std::map<etcd::ValueEncoding, std::size_t> counts;
  for (const auto& [key, kv] : space->live) {
    auto encoding = etcd::classify_value(kv.value);
    ++counts[encoding];
    std::cout << kv.mod_revision << "\t" << etcd::encoding_name(encoding) << "\t" << key << "\n";
  }
  std::cerr << space->live.size() << " keys at revision " << space->revision;
  for (const auto& [encoding, count] : counts)
    std::cerr << ", " << count << " " << etcd::encoding_name(encoding);
  std::cerr << "\n";
  if (counts.count(etcd::ValueEncoding::encrypted) != 0)
    std::cerr
        << "encrypted values (k8s:enc:) are encrypted at rest by the apiserver: reported, never decoded\n";
  return 0;
}

void add_etcd(CLI::App& app) {
  auto* etcd = app.add_subcommand("etcd", "Read etcd snapshots directly (no etcd process)");
  etcd->require_subcommand(1);
  auto flags = std::make_shared<EtcdLsFlags>();
  auto* ls = etcd->add_subcommand("ls", "List the live keys of an etcd snapshot: REVISION, ENCODING, KEY");
  ls->add_option("snapshot", flags->path, "An etcd snapshot (etcdctl snapshot save) or member/snap/db file")
      ->required();
  ls->add_option("--prefix", flags->prefix, "Only keys under this prefix")->capture_default_str();
  ls->add_option("--revision", flags->revision, "The state at this revision; 0: the latest")
      ->capture_default_str();
  ls->callback([flags] { set_exit_code(run_etcd_ls(*flags)); });
}

const Registration registration{add_etcd};

}  // namespace
}  // namespace ktape::cli
