// STUB
#include "cuda/ops.hpp"
#include "error.hpp"
namespace kdlts::cuda {
void gram_forward(const kdlts_gram_params&, const float* const*, float*) { fail(KDLTS_ERR_BACKEND, "not implemented"); }
void gram_backward(const kdlts_gram_params&, const float* const*, const float*, float* const*) { fail(KDLTS_ERR_BACKEND, "not implemented"); }
}
