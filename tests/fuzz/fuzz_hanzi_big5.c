/* fuzz_hanzi_big5.c -- libFuzzer entry point for egov_fuzz_hanzi_big5 (see hanzi_targets.c). */
#include "hanzi_targets.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return egov_fuzz_hanzi_big5(data, size);
}
