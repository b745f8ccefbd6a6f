/* SPDX-License-Identifier: MIT */
#pragma once

/* The emulator's state: functions (per API) and, per function, one stored config per
 * qualifier. A hash table split into shards, each behind a read-write lock, so that requests
 * for different functions never wait for each other and no request scans the whole state.
 *
 * A stored config is the cloud's own wire JSON (the body a GET answers with), serialised once
 * when written: readers copy a string, writers replace it. Callers look a function up with
 * fake_store_lock() and hold the shard lock until fake_store_unlock(). */

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "lib/macro.h"

typedef enum FakeApi {
        FAKE_API_LAMBDA,
        FAKE_API_FC3,
        FAKE_API_FC2,
        FAKE_API_FUNCTIONGRAPH,
        _FAKE_API_MAX,
        _FAKE_API_INVALID = -22,
} FakeApi;

const char *fake_api_to_string(FakeApi a);         /* "lambda", "fc3", "fc2", "functiongraph" */
const char *fake_api_to_provider(FakeApi a);       /* "aws", "alicloud", "huaweicloud" */
const char *fake_api_default_qualifier(FakeApi a); /* "$LATEST", "LATEST", "LATEST", "latest" */

typedef struct FakeConfig {
        char *qualifier;
        char *wire;           /* JSON text of the config as the cloud's GET returns it */
        int64_t created_usec; /* kept across replacements (Alibaba/Huawei createdTime) */
} FakeConfig;

typedef struct FakeFunction {
        FakeApi api;
        char *key; /* lambda: name; fc3: name; fc2: "service/name"; huawei: unqualified URN */
        char *arn_region; /* lambda: region/account of the ARN it was created with, or NULL */
        char *arn_account;
        char **qualifiers;   /* NULL: every qualifier exists; else these plus the default */
        FakeConfig *configs; /* sorted by qualifier */
        size_t n_configs;
        struct FakeFunction *next;
} FakeFunction;

typedef struct FakeStore FakeStore;

int fake_store_new(FakeStore **ret);
FakeStore *fake_store_free(FakeStore *s);

/* Locks the shard of (api, key) for reading or writing and returns the function or NULL.
 * Always pair with fake_store_unlock(s, api, key), also when NULL was returned. */
FakeFunction *fake_store_lock(FakeStore *s, FakeApi api, const char *key, bool write);
void fake_store_unlock(FakeStore *s, FakeApi api, const char *key);

/* Creates the function if missing (the shard must not be locked by the caller). qualifiers
 * (NULL-terminated, may be NULL) are added to its list; a function created without any keeps
 * accepting every qualifier. arn_region/arn_account may be NULL. 1 created, 0 existed, -ENOMEM. */
int fake_store_add_function(FakeStore *s, FakeApi api, const char *key,
                            const char *const *qualifiers, const char *arn_region,
                            const char *arn_account);
/* 1 removed, 0 did not exist. */
int fake_store_remove_function(FakeStore *s, FakeApi api, const char *key);
void fake_store_clear(FakeStore *s);
size_t fake_store_count_functions(FakeStore *s);

/* Calls f for every function (each shard read-locked in turn), in no particular order. */
typedef void (*FakeStoreVisitor)(const FakeFunction *fn, void *userdata);
void fake_store_foreach(FakeStore *s, FakeStoreVisitor f, void *userdata);

/* On a locked function. */
bool fake_function_has_qualifier(const FakeFunction *fn, const char *qualifier);
FakeConfig *fake_function_get_config(FakeFunction *fn, const char *qualifier);
/* Stores wire (taking ownership) for qualifier; keeps the created time of a config it
 * replaces. 1 created, 0 replaced, -ENOMEM (wire is freed then). */
int fake_function_put_config(FakeFunction *fn, const char *qualifier, char *wire, int64_t now_usec);
/* 1 removed, 0 there was none. */
int fake_function_delete_config(FakeFunction *fn, const char *qualifier);
/* Index of the first config whose qualifier sorts after marker ("" or NULL: 0). */
size_t fake_function_config_index_after(const FakeFunction *fn, const char *marker);

/* The version and alias names of functions, for the clouds' version and alias lists. */
typedef struct FakeNames {
        char **names; /* sorted and unique after fake_names_sort() */
        size_t n, allocated;
        bool oom;
} FakeNames;

void fake_names_done(FakeNames *l);
void fake_names_add(FakeNames *l, const char *name);
/* Adds the names a function has besides the default: its declared qualifiers or, when it was
 * created without a list (every qualifier exists), those that have a config. */
void fake_names_add_function(FakeNames *l, const FakeFunction *fn);
void fake_names_sort(FakeNames *l);
/* Index of the first name after marker ("" or NULL: 0). */
size_t fake_names_index_after(const FakeNames *l, const char *marker);
