// The registry of raw stores by URL scheme (see raw_store.hpp).
#include "formats/raw_store.hpp"

#include <map>

namespace ktape::formats {
namespace {

// Function-local, so nothing runs before main() (no static initializers).
std::map<std::string, std::shared_ptr<RawStore>, std::less<>>& registry() {
  static std::map<std::string, std::shared_ptr<RawStore>, std::less<>> stores;
  return stores;
}

}  // namespace

void register_raw_store(std::string scheme, std::shared_ptr<RawStore> store) {
  registry()[std::move(scheme)] = std::move(store);
}

std::shared_ptr<RawStore> raw_store_for(std::string_view path) {
  for (const auto& [scheme, store] : registry()) {
    if (path.substr(0, scheme.size()) == scheme) return store;
  }
  return nullptr;
}

bool is_url_path(std::string_view path) {
  auto colon = path.find("://");
  if (colon == std::string_view::npos || colon == 0) return false;
  for (char c : path.substr(0, colon)) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' ||
              c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

}  // namespace ktape::formats
