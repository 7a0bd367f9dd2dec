// STUB
#include "cuda/ops.hpp"
#include "error.hpp"
namespace kdlts::cuda {
void topk_mask(const kdlts_topk_params&, const float*, void*) { fail(KDLTS_ERR_BACKEND, "not implemented"); }
}
