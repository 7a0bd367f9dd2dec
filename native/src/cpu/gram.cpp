// STUB: replaced by the real implementation.
#include "cpu/ops.hpp"
#include "error.hpp"
namespace kdlts::cpu {
void gram_forward(int, const kdlts_gram_params&, const float* const*, float*) { fail(KDLTS_ERR_INTERNAL, "gram: not implemented"); }
void gram_backward(int, const kdlts_gram_params&, const float* const*, const float*, float* const*) { fail(KDLTS_ERR_INTERNAL, "gram: not implemented"); }
}
