#include "sw/common/Error.h"

namespace tasdsim {

void require(bool condition, const std::string& message) {
  if (!condition) throw UserError(message);
}

}  // namespace tasdsim
