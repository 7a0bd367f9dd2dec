// STUB
#include "cuda/ops.hpp"
namespace kdlts::cuda { int device_count() { return 0; } }
