// STUB: replaced by the real implementation.
#include "cpu/ops.hpp"
#include "error.hpp"
namespace kdlts::cpu {
void project_capped_simplex(int, const kdlts_projection_params&, const float*, float*, double*) { fail(KDLTS_ERR_INTERNAL, "projection: not implemented"); }
}
