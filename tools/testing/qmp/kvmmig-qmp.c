// SPDX-License-Identifier: GPL-2.0
/*
 * kvmmig-qmp: send one QMP command to QEMU and print its reply.
 *
 *   kvmmig-qmp [-t SECONDS] [-g PATH] SOCKET COMMAND [ARGUMENTS]
 *
 * COMMAND is a command name (query-status) or a whole JSON command
 * ({"execute":"stop"}); ARGUMENTS, a JSON object, goes with a name.  Prints
 * the reply's "return" value, or with -g the value at PATH in it
 * (-g ram.transferred); an error reply goes to stderr and exits 1.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qmp.h"

static void print_usage(void)
{
	fprintf(stderr, "usage: kvmmig-qmp [-t SECONDS] [-g PATH] SOCKET COMMAND [ARGUMENTS]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *field = NULL, *v;
	char *reply, path[256];
	int timeout_s = 10, opt, ret;
	struct qmp q;
	size_t len;

	while ((opt = getopt(argc, argv, "t:g:")) != -1) {
		switch (opt) {
		case 't':
			timeout_s = atoi(optarg);
			break;
		case 'g':
			field = optarg;
			break;
		default:
			print_usage();
		}
	}
	if (argc - optind < 2 || argc - optind > 3)
		print_usage();
	ret = qmp_open(&q, argv[optind], timeout_s * 1000);
	if (ret) {
		fprintf(stderr, "kvmmig-qmp: %s: %s\n", argv[optind], strerror(-ret));
		return 1;
	}
	if (argv[optind + 1][0] == '{')
		ret = qmp_call(&q, &reply, "%s", argv[optind + 1]);
	else if (argc - optind == 3)
		ret = qmp_call(&q, &reply, "{\"execute\":\"%s\",\"arguments\":%s}",
			       argv[optind + 1], argv[optind + 2]);
	else
		ret = qmp_call(&q, &reply, "{\"execute\":\"%s\"}", argv[optind + 1]);
	qmp_close(&q);
	if (ret == -EREMOTEIO) {
		fprintf(stderr, "kvmmig-qmp: %s\n", reply);
		free(reply);
		return 1;
	}
	if (ret) {
		fprintf(stderr, "kvmmig-qmp: %s\n", strerror(-ret));
		return 1;
	}
	snprintf(path, sizeof(path), "return%s%s", field ? "." : "", field ? field : "");
	ret = json_get(reply, path, &v, &len);
	if (ret) {
		fprintf(stderr, "kvmmig-qmp: no %s in %s\n", path, reply);
		free(reply);
		return 1;
	}
	printf("%.*s\n", (int)len, v);
	free(reply);
	return 0;
}
