// /ktape/v1/snapshot: a cluster's exact state (every object with its uid and resourceVersion, and
// the revision counter) read and replaced while it serves, for `ktape cluster snapshot`.
#include "formats/json.hpp"
#include "sim/api.hpp"

namespace ktape::sim {

Response Api::handle_snapshot(const Request& request) {
  if (request.method == "GET") return Response{200, "application/x-ndjson", m_store.dump()};
  if (request.method != "PUT") return error_response(err_method_not_allowed());
  auto restored = m_store.replace(request.body);
  if (!restored) return error_response(err_bad_request("snapshot: " + restored.error().message));
  formats::Value answer = formats::Value::object();
  answer.set("objects", static_cast<std::uint64_t>(*restored));
  answer.set("resourceVersion", std::to_string(m_store.current_rv()));
  return Response{200, "application/json", formats::to_json(answer)};
}

}  // namespace ktape::sim
