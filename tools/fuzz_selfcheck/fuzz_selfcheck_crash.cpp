// A harness that crashes on purpose: tools/run_tests.sh runs it through tools/run_fuzzers.sh and
// requires a non-zero exit, so a fuzzing stage that cannot fail is noticed.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    if (size >= 1 && data[0] == 'Z')
        std::abort();
    return 0;
}
