/* fuzz_utf8.c -- libFuzzer entry point for egov_fuzz_utf8 (see targets.c). */
#include "targets.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return egov_fuzz_utf8(data, size);
}
