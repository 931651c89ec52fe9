// The protobuf request-body decoder of the simulated cluster: any body is an object or an
// ApiError (400 or 415), never a crash, a hang or an allocation driven by a length field.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz/checks.hpp"
#include "fuzz/support.hpp"
#include "sim/protobuf.hpp"

namespace ktape::fuzz {

void check_protobuf(std::string_view input) {
  std::string_view body = input;
  auto object = ktape::sim::decode_protobuf_object(body);
  if (object) check(object->is_object(), "the decoder returned something not an object");
  if (!object)
    check(object.error().code == 400 || object.error().code == 415,
          "the decoder failed with a status other than 400 or 415");
}

}  // namespace ktape::fuzz
