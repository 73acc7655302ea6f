// SPDX-License-Identifier: GPL-2.0
/*
 * kvmmig-migrate, the wire protocol's framing (source <-> destination over
 * TCP): a struct whdr, then what its type says (kvmmig-migrate.h).
 */
#include "kvmmig-migrate.h"

/* ---- socket helpers ---- */
uint64_t wire_bytes;

int send_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= n;
		__atomic_add_fetch(&wire_bytes, n, __ATOMIC_RELAXED);
	}
	return 0;
}

int recv_all(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len) {
		ssize_t n = recv(fd, p, len, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

int send_hdr(int fd, uint32_t type, uint32_t count, uint64_t arg)
{
	struct whdr h = { .type = type, .count = count, .arg = arg };

	return send_all(fd, &h, sizeof(h));
}

