// SPDX-License-Identifier: GPL-2.0
/*
 * QMP client library; see qmp.h.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "qmp.h"

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static const char *skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	return p;
}

/* Past the string that starts at @p (a quote); NULL if unterminated. */
static const char *skip_string(const char *p)
{
	for (p++; *p; p++) {
		if (*p == '\\' && p[1])
			p++;
		else if (*p == '"')
			return p + 1;
	}
	return NULL;
}

/* Past the value that starts at @p; NULL if malformed. */
static const char *skip_value(const char *p)
{
	int depth = 0;

	p = skip_ws(p);
	if (*p == '"')
		return skip_string(p);
	if (*p != '{' && *p != '[') {
		while (*p && !strchr(",}] \t\r\n", *p))
			p++;
		return p;
	}
	while (*p) {
		if (*p == '"') {
			p = skip_string(p);
			if (!p)
				return NULL;
			continue;
		}
		if (*p == '{' || *p == '[')
			depth++;
		else if (*p == '}' || *p == ']')
			depth--;
		p++;
		if (!depth)
			return p;
	}
	return NULL;
}

/* In the object at @p, the value of key @key (@klen bytes); NULL if none. */
static const char *object_member(const char *p, const char *key, size_t klen)
{
	const char *kstart, *kend;

	p = skip_ws(p);
	if (*p != '{')
		return NULL;
	p = skip_ws(p + 1);
	while (*p == '"') {
		kstart = p + 1;
		kend = skip_string(p);
		if (!kend)
			return NULL;
		p = skip_ws(kend);
		if (*p != ':')
			return NULL;
		p = skip_ws(p + 1);
		if ((size_t)(kend - 1 - kstart) == klen && !memcmp(kstart, key, klen))
			return p;
		p = skip_value(p);
		if (!p)
			return NULL;
		p = skip_ws(p);
		if (*p != ',')
			return NULL;
		p = skip_ws(p + 1);
	}
	return NULL;
}

int json_get(const char *json, const char *path, const char **val, size_t *len)
{
	const char *p = json, *dot, *end;
	size_t klen;

	for (;;) {
		dot = strchr(path, '.');
		klen = dot ? (size_t)(dot - path) : strlen(path);
		p = object_member(p, path, klen);
		if (!p)
			return -ENOENT;
		if (!dot)
			break;
		path = dot + 1;
	}
	end = skip_value(p);
	if (!end || end == p)
		return -ENOENT;
	*val = p;
	*len = end - p;
	return 0;
}

int json_get_str(const char *json, const char *path, char *buf, size_t size)
{
	const char *v;
	size_t len;
	int ret = json_get(json, path, &v, &len);

	if (ret)
		return ret;
	if (*v == '"') {
		v++;
		len -= 2;
	}
	if (!size)
		return -ENOSPC;
	if (len >= size)
		len = size - 1;
	memcpy(buf, v, len);
	buf[len] = 0;
	return 0;
}

int json_get_u64(const char *json, const char *path, uint64_t *v)
{
	char text[32], *end;
	int ret = json_get_str(json, path, text, sizeof(text));

	if (ret)
		return ret;
	if (text[0] < '0' || text[0] > '9')
		return -EINVAL;
	errno = 0;
	*v = strtoull(text, &end, 10);
	return errno || *end ? -EINVAL : 0;
}

/*
 * The next line QEMU sends, NUL-terminated and without its line end,
 * malloc'ed; waits up to the reply timeout.  NULL with errno set on
 * failure.
 */
static char *read_line(struct qmp *q)
{
	long long deadline = now_ms() + q->timeout_ms;
	struct pollfd pfd = { .fd = q->fd, .events = POLLIN };
	char *nl, *line;
	ssize_t n;
	long long left;

	for (;;) {
		nl = q->len ? memchr(q->buf, '\n', q->len) : NULL;
		if (nl) {
			size_t llen = nl - q->buf;

			line = malloc(llen + 1);
			if (!line)
				return NULL;
			memcpy(line, q->buf, llen);
			line[llen] = 0;
			if (llen && line[llen - 1] == '\r')
				line[llen - 1] = 0;
			q->len -= llen + 1;
			memmove(q->buf, nl + 1, q->len);
			return line;
		}
		if (q->len + 4096 > q->size) {
			char *nbuf = realloc(q->buf, q->size * 2 + 4096);

			if (!nbuf)
				return NULL;
			q->buf = nbuf;
			q->size = q->size * 2 + 4096;
		}
		left = deadline - now_ms();
		if (left <= 0) {
			errno = ETIMEDOUT;
			return NULL;
		}
		n = poll(&pfd, 1, (int)left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return NULL;
		if (!n)
			continue;
		n = read(q->fd, q->buf + q->len, q->size - q->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return NULL;
		if (!n) {
			errno = ECONNRESET;
			return NULL;
		}
		q->len += n;
	}
}

static int send_all(int fd, const char *s, size_t len)
{
	ssize_t n;

	while (len) {
		n = send(fd, s, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		s += n;
		len -= n;
	}
	return 0;
}

int qmp_call(struct qmp *q, char **reply, const char *fmt, ...)
{
	const char *v;
	char *cmd, *line;
	va_list ap;
	size_t len;
	int ret;

	if (reply)
		*reply = NULL;
	va_start(ap, fmt);
	ret = vasprintf(&cmd, fmt, ap);
	va_end(ap);
	if (ret < 0)
		return -ENOMEM;
	ret = send_all(q->fd, cmd, strlen(cmd));
	if (!ret)
		ret = send_all(q->fd, "\n", 1);
	free(cmd);
	if (ret)
		return ret;
	for (;;) {
		line = read_line(q);
		if (!line)
			return errno ? -errno : -EIO;
		if (!json_get(line, "return", &v, &len)) {
			ret = 0;
		} else if (!json_get(line, "error", &v, &len)) {
			ret = -EREMOTEIO;
		} else {
			/* an event, or something else asynchronous */
			free(line);
			continue;
		}
		if (reply)
			*reply = line;
		else
			free(line);
		return ret;
	}
}

int qmp_open(struct qmp *q, const char *path, int timeout_ms)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	long long deadline = now_ms() + timeout_ms;
	const char *v;
	char *line;
	size_t len;
	int ret;

	memset(q, 0, sizeof(*q));
	q->timeout_ms = timeout_ms;
	if (strlen(path) >= sizeof(addr.sun_path))
		return -ENAMETOOLONG;
	strcpy(addr.sun_path, path);
	for (;;) {
		q->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (q->fd < 0)
			return -errno;
		if (!connect(q->fd, (struct sockaddr *)&addr, sizeof(addr)))
			break;
		ret = -errno;
		close(q->fd);
		q->fd = -1;
		if ((ret != -ENOENT && ret != -ECONNREFUSED) || now_ms() >= deadline)
			return ret;
		usleep(50 * 1000);
	}
	line = read_line(q);
	if (!line) {
		ret = errno ? -errno : -EIO;
		goto fail;
	}
	ret = json_get(line, "QMP", &v, &len) ? -EPROTO : 0;
	free(line);
	if (ret)
		goto fail;
	ret = qmp_call(q, NULL, "{\"execute\":\"qmp_capabilities\"}");
	if (!ret)
		return 0;
fail:
	qmp_close(q);
	return ret;
}

void qmp_close(struct qmp *q)
{
	if (q->fd >= 0)
		close(q->fd);
	q->fd = -1;
	free(q->buf);
	q->buf = NULL;
	q->len = 0;
	q->size = 0;
}
