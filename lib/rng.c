/* SPDX-License-Identifier: MIT */
#include <sys/random.h>
#include <time.h>

#include "lib/macro.h"
#include "lib/rng.h"

static uint64_t splitmix64(uint64_t *x) {
        uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));

        z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
        z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
        return z ^ (z >> 31);
}

void rng_seed(Rng *rng, uint64_t seed) {
        /* splitmix64 never yields four zero words in a row, the one state xoshiro cannot leave. */
        for (size_t i = 0; i < ELEMENTSOF(rng->s); i++)
                rng->s[i] = splitmix64(&seed);
}

int rng_seed_random(Rng *rng) {
        uint64_t seed;
        ssize_t n = getrandom(&seed, sizeof(seed), GRND_NONBLOCK);

        if (n != (ssize_t) sizeof(seed)) {
                int r = n < 0 ? -errno : -EIO;
                struct timespec ts;

                clock_gettime(CLOCK_MONOTONIC, &ts);
                rng_seed(rng, (uint64_t) ts.tv_nsec ^ ((uint64_t) ts.tv_sec << 32) ^
                                      (uint64_t) getpid());
                return r;
        }
        rng_seed(rng, seed);
        return 0;
}

static uint64_t rotl(uint64_t x, int k) {
        return (x << k) | (x >> (64 - k));
}

uint64_t rng_next(Rng *rng) {
        uint64_t *s = rng->s;
        uint64_t result = rotl(s[1] * 5, 7) * 9;
        uint64_t t = s[1] << 17;

        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = rotl(s[3], 45);
        return result;
}

uint64_t rng_uniform(Rng *rng, uint64_t max) {
        uint64_t range, limit, x;

        if (max == UINT64_MAX)
                return rng_next(rng);
        range = max + 1;
        /* Reject the top partial block of 2^64 so every residue is equally likely. */
        limit = UINT64_MAX - (UINT64_MAX % range + 1) % range;
        do
                x = rng_next(rng);
        while (x > limit);
        return x % range;
}
