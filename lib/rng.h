/* SPDX-License-Identifier: MIT */
#pragma once

/* A small seedable pseudo-random generator for jitter (xoshiro256**, seeded through splitmix64).
 * Not for secrets. The daemon seeds it from getrandom(); tests seed it with a constant so that
 * jittered delays are reproducible. */

#include <stdint.h>

typedef struct Rng {
        uint64_t s[4];
} Rng;

/* Any seed, 0 included, gives a valid state. */
void rng_seed(Rng *rng, uint64_t seed);
/* Seeds from getrandom(); 0, or a negative errno (the state is then seeded from the clock and
 * the pid, still usable for jitter). */
int rng_seed_random(Rng *rng);
uint64_t rng_next(Rng *rng);
/* Uniform in [0, max], both ends included, without modulo bias. */
uint64_t rng_uniform(Rng *rng, uint64_t max);
