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

/*
 * The page-data rate limit (--bandwidth-mbps): a token bucket on the
 * sender.  Tokens are bytes scaled by 1e9 (no rounding loss at any rate),
 * earned at the set rate, up to a burst of 10 ms of it (64 KiB at least);
 * page data goes out in chunks of up to 64 KiB, each once the bucket holds
 * it.
 */
#define PACE_CHUNK	65536ull

static uint64_t pace_rate;		/* bytes per second; 0: unlimited */
static uint64_t pace_tokens, pace_burst, pace_t;

void pace_init(uint64_t mbps)
{
	pace_rate = mbps * 125000;	/* megabit/s to byte/s */
	pace_burst = pace_rate / 100 > PACE_CHUNK ? pace_rate / 100 : PACE_CHUNK;
	pace_burst *= 1000000000ull;
	pace_tokens = pace_burst;
	pace_t = now_ns();
}

/* send_all(), page data: at most the set rate. */
int send_paced(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	if (!pace_rate)
		return send_all(fd, buf, len);
	while (len) {
		uint64_t k = len < PACE_CHUNK ? len : PACE_CHUNK, t = now_ns(), dt = t - pace_t;

		pace_t = t;
		pace_tokens += (dt < 1000000000ull ? dt : 1000000000ull) * pace_rate;
		if (pace_tokens > pace_burst)
			pace_tokens = pace_burst;
		if (pace_tokens < k * 1000000000ull) {
			sleep_ns((k * 1000000000ull - pace_tokens) / pace_rate + 1);
			continue;
		}
		pace_tokens -= k * 1000000000ull;
		if (send_all(fd, p, k))
			return -1;
		p += k;
		len -= k;
	}
	return 0;
}
