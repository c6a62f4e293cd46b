/* A test-harness stand-in for Windows' bcryptprimitives.dll, which Wine 8.0 lacks (Wine 8.13 added
 * it). Rust's std (1.78 and later) and Go's runtime import ProcessPrng from it for random bytes;
 * this DLL answers with RtlGenRandom (advapi32's SystemFunction036), which Wine has. It is put in
 * the test prefix's system32 by tests/wine/setup and is never shipped. */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length) {
  while (length > 0) {
    ULONG chunk = length > 0x10000000 ? 0x10000000 : (ULONG)length;
    if (!SystemFunction036(data, chunk)) return FALSE;
    data += chunk;
    length -= chunk;
  }
  return TRUE;
}
