// The kubeconfig loader: any file content gives a RestConfig or an Error, never a crash, and an
// Error never quotes the token or password the file holds. The input is written to a private
// temporary file (kubeconfigs are read from paths); relative paths in it resolve next to that file.
#include <sys/stat.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "fuzz/checks.hpp"
#include "fuzz/support.hpp"
#include "kube/kubeconfig.hpp"

namespace ktape::fuzz {
namespace {

// A private folder of this process, made and removed around each input (nothing is left behind).
std::string scratch_dir() {
  std::string dir = "/tmp/ktape-fuzz-kubeconfig-";
  dir += std::to_string(::getpid());
  return dir;
}

}  // namespace

void check_kubeconfig(std::string_view input) {
  std::string dir = scratch_dir();
  std::string path = dir + "/config";
  ::mkdir(dir.c_str(), 0700);
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return;
  std::fwrite(input.data(), 1, input.size(), f);
  std::fclose(f);
  ktape::kube::KubeconfigOptions options;
  options.path = path;
  auto config = ktape::kube::load_kubeconfig(options);
  (void)ktape::kube::list_kubeconfig_contexts(options);
  std::remove(path.c_str());
  ::rmdir(dir.c_str());
  if (!config) {
    // A marker planted as a token must never reach a message (kubeconfig.hpp's promise).
    if (input.find("token: SECRETTOKEN") != std::string_view::npos)
      check(config.error().message.find("SECRETTOKEN") == std::string::npos,
            "a kubeconfig error quotes the token");
  }
}

}  // namespace ktape::fuzz
