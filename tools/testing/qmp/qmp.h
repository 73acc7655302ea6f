/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small QMP client: connect to QEMU's QMP unix socket, do the
 * capabilities handshake, send commands and read their replies (events
 * that arrive meanwhile are skipped), and read fields of a reply by a
 * dotted path ("return.ram.transferred").  Static, no JSON library:
 * values are located in the reply text, not parsed into a tree.
 * Used by the QEMU selftests (selftests/kvmmig/qemu_migrate_test.c) and
 * the CLI kvmmig-qmp.
 */
#ifndef KVMMIG_QMP_H
#define KVMMIG_QMP_H

#include <stddef.h>
#include <stdint.h>

/* __printf: from the kernel's tools/include, or qmp's Makefile */

struct qmp {
	int fd;
	int timeout_ms;		/* per reply */
	char *buf;		/* bytes received, not yet returned */
	size_t len, size;
};

/*
 * Connect to @path (retrying while QEMU has not created it yet, up to
 * @timeout_ms), read the greeting and enter command mode.  @timeout_ms
 * also bounds each later reply.  0 or -errno (-ETIMEDOUT, -EPROTO, ...).
 */
int qmp_open(struct qmp *q, const char *path, int timeout_ms);
void qmp_close(struct qmp *q);

/*
 * Send one command, a JSON object such as {"execute":"stop"}, and wait for
 * its reply.  0 if QEMU returned, -EREMOTEIO if it answered with an error,
 * -errno if the socket failed or no reply came in time.  When @reply is
 * not NULL it gets the reply line (malloc'ed, the caller frees), also for
 * an error reply.
 */
__printf(3, 4)
int qmp_call(struct qmp *q, char **reply, const char *fmt, ...);

/*
 * Find the value at dotted @path ("return.status") in JSON object @json:
 * *@val points at it in @json and *@len is its length (strings with their
 * quotes).  0 or -ENOENT (also for malformed JSON).
 */
int json_get(const char *json, const char *path, const char **val, size_t *len);
/* The value as text (a string without its quotes, escapes kept). */
int json_get_str(const char *json, const char *path, char *buf, size_t size);
/* The value as an unsigned number; -EINVAL if it is not one. */
int json_get_u64(const char *json, const char *path, uint64_t *v);

#endif /* KVMMIG_QMP_H */
