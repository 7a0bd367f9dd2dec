// STUB: cases come with the implementation.
#include "harness.hpp"
KDLTS_TEST(topk, placeholder) { (void)ctx; }
