// STUB
#include "cuda/ops.hpp"
#include "error.hpp"
namespace kdlts::cuda {
void project_capped_simplex(const kdlts_projection_params&, const float*, float*, double*) { fail(KDLTS_ERR_BACKEND, "not implemented"); }
}
