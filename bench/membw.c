/* Single-thread memory read bandwidth: sum a 1 GiB buffer (far beyond the caches) several times,
 * best pass. The ceiling for decode: one token reads every weight once.
 * cc -O3 -march=native bench/membw.c -o membw && ./membw */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
int main(void) {
  const size_t n = (size_t)1 << 27; /* 2^27 uint64 = 1 GiB */
  uint64_t *a = malloc(n * sizeof *a);
  if (!a) return 1;
  for (size_t i = 0; i < n; i++) a[i] = i;
  double best = 0;
  uint64_t sink = 0;
  for (int pass = 0; pass < 6; pass++) {
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (size_t i = 0; i < n; i += 4) { s0 += a[i]; s1 += a[i + 1]; s2 += a[i + 2]; s3 += a[i + 3]; }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    sink += s0 + s1 + s2 + s3;
    double s = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    double gbs = n * sizeof *a / s / 1e9;
    if (gbs > best) best = gbs;
  }
  printf("{\"read_gb_per_s\": %.2f, \"sink\": %llu}\n", best, (unsigned long long)(sink & 1));
  return 0;
}
