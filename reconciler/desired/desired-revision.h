/* SPDX-License-Identifier: MIT */
#pragma once

/* The revision of the desired state: which commit a Git sync (deploy/git-sync) checked out into
 * the directory. The sync writes it as the first line of DESIRED_REVISION_FILE at the top of
 * the directory, next to the documents; the name is hidden, so the scan never reads it as a
 * document, and a change to it is a change of a hidden path (a full rescan). */

#define DESIRED_REVISION_FILE ".asyncfg-revision"
/* A SHA-256 object name is 64 hex digits; room for "branch@commit" and the like. */
#define DESIRED_REVISION_MAX 128

/* Reads the revision of the directory dir: its first line, trailing blanks removed, which must
 * be 1..DESIRED_REVISION_MAX printable characters without spaces. Returns 1 and *ret (to
 * free), 0 and *ret = NULL when there is no revision file, -EBADMSG when the line is not a
 * revision, -ENOMEM, or another negative errno of reading the file. */
int desired_revision_read(const char *dir, char **ret);
