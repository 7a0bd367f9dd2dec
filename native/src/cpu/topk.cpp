// STUB: replaced by the real implementation.
#include "cpu/ops.hpp"
#include "error.hpp"
namespace kdlts::cpu {
void topk_mask(int, const kdlts_topk_params&, const float*, void*) { fail(KDLTS_ERR_INTERNAL, "topk: not implemented"); }
}
