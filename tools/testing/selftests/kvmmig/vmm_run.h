/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Running the reference VMM, tools/kvmmig-migrate (on the PATH of the test
 * payload), from a selftest: run_migrate() runs it with --json --quiet and
 * keeps its exit status and JSON summary (its last line of output); the
 * json_*() helpers read that summary.  Used by migrate_test.c and
 * postcopy_test.c.
 */
#ifndef KVMMIG_VMM_RUN_H
#define KVMMIG_VMM_RUN_H

#include <signal.h>
#include <sys/wait.h>

#include "kvmmig_util.h"

#define MIGRATE_TOOL	"kvmmig-migrate"
#define MIG_OUT_MAX	1048576

struct mig_result {
	int status;		/* exit status, or 128 + signal */
	char json[4096];	/* last line of output */
};

/* Run the tool with --json --quiet plus @args (NULL-terminated). */
static inline void run_migrate(struct mig_result *r, const char *const *args)
{
	const char *argv[32] = { MIGRATE_TOOL, "--json", "--quiet" };
	static char out[MIG_OUT_MAX];
	size_t len = 0;
	int p[2], i, n = 3, ws;
	char *last, *nl;
	pid_t pid;
	ssize_t k;

	for (i = 0; args[i]; i++) {
		TEST_ASSERT(n < 31, "too many arguments");
		argv[n++] = args[i];
	}
	argv[n] = NULL;
	TEST_ASSERT(!pipe(p), "pipe: %s", strerror(errno));
	pid = fork();
	TEST_ASSERT(pid >= 0, "fork: %s", strerror(errno));
	if (!pid) {
		dup2(p[1], 1);
		close(p[0]);
		close(p[1]);
		execvp(MIGRATE_TOOL, (char *const *)argv);
		fprintf(stderr, "exec %s: %s\n", MIGRATE_TOOL, strerror(errno));
		_exit(127);
	}
	close(p[1]);
	while ((k = read(p[0], out + len, sizeof(out) - 1 - len)) > 0)
		len += k;
	close(p[0]);
	out[len] = 0;
	TEST_ASSERT(waitpid(pid, &ws, 0) == pid, "waitpid: %s", strerror(errno));
	r->status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);

	/* Echo the tool's output, so a failure shows what happened. */
	fputs(out, stderr);
	while (len && out[len - 1] == '\n')
		out[--len] = 0;
	last = strrchr(out, '\n');
	last = last ? last + 1 : out;
	nl = strchr(last, '\n');
	if (nl)
		*nl = 0;
	strncpy(r->json, last, sizeof(r->json) - 1);
	r->json[sizeof(r->json) - 1] = 0;
}

/* The value after "key": in the summary, or NULL. */
static inline const char *json_val(const struct mig_result *r, const char *key)
{
	char pat[64];
	const char *v;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	v = strstr(r->json, pat);
	return v ? v + strlen(pat) : NULL;
}

static inline long long json_int(const struct mig_result *r, const char *key)
{
	const char *v = json_val(r, key);

	TEST_ASSERT(v, "no \"%s\" in the summary: %s", key, r->json);
	return strtoll(v, NULL, 10);
}

static inline bool json_true(const struct mig_result *r, const char *key)
{
	const char *v = json_val(r, key);

	TEST_ASSERT(v, "no \"%s\" in the summary: %s", key, r->json);
	return !strncmp(v, "true", 4);
}

static inline bool json_str_is(const struct mig_result *r, const char *key,
			       const char *want)
{
	const char *v = json_val(r, key);

	TEST_ASSERT(v, "no \"%s\" in the summary: %s", key, r->json);
	return *v == '"' && !strncmp(v + 1, want, strlen(want)) &&
	       v[1 + strlen(want)] == '"';
}

static inline long long total_pages(const struct mig_result *r)
{
	return json_int(r, "pages_data") + json_int(r, "pages_zero") +
	       json_int(r, "pages_pattern") + json_int(r, "pages_dup") +
	       json_int(r, "pages_free");
}

#endif /* KVMMIG_VMM_RUN_H */
