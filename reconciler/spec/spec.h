/* SPDX-License-Identifier: MIT */
#pragma once

/* One desired-state document (DESIGN.md §2), validated and normalised: a ResourceSpec. */

#include "clouds/model.h"
#include "lib/time-util.h"
#include "clouds/function-id.h"
#include "reconciler/spec/yaml-tree.h"

#define RESOURCE_API_VERSION "asyncfg.io/v1"
#define RESOURCE_KIND "AsyncInvokeConfig"

typedef enum Management {
        MANAGEMENT_ENFORCE, /* fix drift */
        MANAGEMENT_OBSERVE, /* report and alert only, never write */
        _MANAGEMENT_MAX,
        _MANAGEMENT_INVALID = -22,
} Management;

typedef enum DeletionPolicy {
        DELETION_POLICY_ORPHAN, /* a removed document: forget the live config */
        DELETION_POLICY_DELETE, /* a removed document: DELETE the live config */
        _DELETION_POLICY_MAX,
        _DELETION_POLICY_INVALID = -22,
} DeletionPolicy;

/* The managed fields, as bits (spec.ignore) and names (the YAML spelling). */
typedef enum ResourceField {
        RESOURCE_FIELD_MAX_RETRY_ATTEMPTS = 1u << 0,
        RESOURCE_FIELD_MAX_EVENT_AGE = 1u << 1,
        RESOURCE_FIELD_ON_SUCCESS = 1u << 2,
        RESOURCE_FIELD_ON_FAILURE = 1u << 3,
        RESOURCE_FIELD_ASYNC_TASK = 1u << 4,       /* alicloud */
        RESOURCE_FIELD_ASYNC_STATUS_LOG = 1u << 5, /* huaweicloud */
} ResourceField;

typedef struct ResourceSpec {
        char *name;    /* metadata.name */
        char **labels; /* metadata.labels: key, value, key, value, ..., NULL; may be NULL */
        Provider provider;
        unsigned ignore;    /* ResourceField bits excluded from drift detection (next to
                             * provider: no padding, a spec is 224 bytes, not 232) */
        char *account;      /* spec.account; NULL when omitted and not (yet) resolved */
        char *function;     /* spec.function as written */
        char *qualifier;    /* spec.qualifier as written; NULL when omitted */
        FunctionId id;      /* normalised function + qualifier; id.api is lambda, fc3 or fc2
                                 * (from the spelling) or functiongraph */
        AsyncConfig config; /* the managed values; has_* false = not managed */
        Management management;
        DeletionPolicy deletion_policy;
        usec_t resync_interval; /* 0: the daemon's default */
        /* Where it was declared: the document's root node, and spec.account (or spec) for
         * errors found later (account resolution, the account's API). path is a SpecPath's,
         * shared by the specs of one version of the file. */
        char *path;
        unsigned line, column;
        unsigned account_line, account_column;
        unsigned function_line, function_column;
        /* References beyond the first (resource_spec_ref()); 0 in a new or copied spec, so
         * that every spec, however made, starts with one owner. Atomic: the CLI's workers
         * share the specs of the desired set. */
        unsigned n_extra_refs;
} ResourceSpec;

const char *management_to_string(Management m);
Management management_from_string(const char *s);
const char *deletion_policy_to_string(DeletionPolicy p);
DeletionPolicy deletion_policy_from_string(const char *s);
const char *resource_field_to_string(ResourceField f);
ResourceField resource_field_from_string(const char *s); /* 0 if unknown */
/* The fields that exist for a provider (bitmask of ResourceField). */
unsigned resource_fields_for_provider(Provider p);

/* Validates one document (its root node) of file path. Every problem goes to diags with its
 * location; returns 0 and the spec in *ret, -EINVAL if anything was wrong, -ENOMEM. */
int resource_spec_from_node(const char *path, const YamlNode *root, DiagList *diags,
                            ResourceSpec **ret);

/* A file's path as the specs of one version of the file share it: one copy per file, not one
 * per document. Counted: each spec holds a reference, the maker one more until it lets go.
 * Specs may be freed on any thread. NULL on allocation failure. */
typedef struct SpecPath SpecPath;
SpecPath *spec_path_new(const char *path);
SpecPath *spec_path_unref(SpecPath *p);
static inline void spec_path_unrefp(SpecPath **p) {
        spec_path_unref(*p);
}
/* resource_spec_from_node() for one of the documents of the file of path. */
int resource_spec_from_node_shared(SpecPath *path, const YamlNode *root, DiagList *diags,
                                   ResourceSpec **ret);

/* A spec is immutable once loaded (its account resolved), and shared: the desired set, the
 * daemon's Resource and a reconcile in flight hold references to one copy instead of a
 * copy each. resource_spec_free() drops one reference and frees with the last. */
ResourceSpec *resource_spec_ref(const ResourceSpec *r);
ResourceSpec *resource_spec_free(ResourceSpec *r);
static inline void resource_spec_freep(ResourceSpec **r) {
        resource_spec_free(*r);
}
int resource_spec_copy(const ResourceSpec *r, ResourceSpec **ret);

/* A stable string naming the identity: "aws/aws-prod/orders/$LATEST" ("-" for no account). */
int resource_spec_identity(const ResourceSpec *r, char **ret);
/* Same identity: provider, account, function and qualifier (DESIGN.md §2). */
bool resource_spec_same_identity(const ResourceSpec *a, const ResourceSpec *b);
/* Replaces the account (used when it is resolved from the daemon config). */
int resource_spec_set_account(ResourceSpec *r, const char *account);
