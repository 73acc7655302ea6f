// SPDX-License-Identifier: GPL-2.0
/*
 * kvmmig-stat: every use of <linux/kvmmig.h> (see kvmmig_client.h).
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/kvm.h>
#include <linux/kvmmig.h>

#include "kvmmig_client.h"

static_assert(KVMMIG_TEMP_NR_LEVELS == KVS_NR_LEVELS, "temperature levels");
static_assert(KVMMIG_TEMP_NO_SLOT == KVS_NO_SLOT, "no-slot level");

int kvs_open_dev(void)
{
	int fd = open("/dev/kvmmig", O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int kvs_attach_read_only(int dev, int vm_fd, uint32_t *session_id, int *read_only)
{
	struct kvmmig_attach a = {
		.size = sizeof(a),
		.flags = KVMMIG_ATTACH_READ_ONLY,
		.vm_fd = vm_fd,
	};
	int fd = ioctl(dev, KVMMIG_ATTACH_VM, &a);

	if (fd < 0)
		return -errno;
	*session_id = a.session_id;
	*read_only = a.access == KVMMIG_ACCESS_READ;
	return fd;
}

static_assert(KVMMIG_ACCESS_READ == KVS_ACCESS_READ, "access levels");
static_assert(KVMMIG_ACCESS_FULL == KVS_ACCESS_FULL, "access levels");

int kvs_session_access(int session)
{
	int r = ioctl(session, KVMMIG_CHECK_EXTENSION, KVMMIG_CAP_ACCESS);

	return r < 0 ? -errno : r;
}

int kvs_get_memslots(int session, struct kvs_slot **slots, uint32_t *nr)
{
	struct kvmmig_memslots m = { .size = sizeof(m) };
	struct kvmmig_memslot *raw = NULL;
	struct kvs_slot *out;
	uint32_t i, n = 0;

	/* E2BIG tells the count; memslots may change between the calls */
	for (int tries = 0; tries < 8; tries++) {
		m.nr_slots = n;
		m.slots_ptr = (uintptr_t)raw;
		if (!ioctl(session, KVMMIG_GET_MEMSLOTS, &m))
			break;
		if (errno != E2BIG) {
			free(raw);
			return -errno;
		}
		n = m.nr_slots + 8;
		free(raw);
		raw = calloc(n, sizeof(*raw));
		if (!raw)
			return -ENOMEM;
		memset(&m, 0, sizeof(m));
		m.size = sizeof(m);
	}
	out = calloc(m.nr_slots ? m.nr_slots : 1, sizeof(*out));
	if (!out) {
		free(raw);
		return -ENOMEM;
	}
	*nr = 0;
	for (i = 0; i < m.nr_slots && raw; i++) {
		if (raw[i].as_id != 0)	/* SMM's view of the same RAM */
			continue;
		out[*nr].base_gfn = raw[i].base_gfn;
		out[*nr].npages = raw[i].npages;
		out[*nr].internal = !!(raw[i].flags & KVMMIG_MEMSLOT_F_INTERNAL);
		(*nr)++;
	}
	free(raw);
	*slots = out;
	return 0;
}

int kvs_scan_now(int session)
{
	struct kvmmig_scan s = { .size = sizeof(s), .flags = KVMMIG_SCAN_NOW };

	return ioctl(session, KVMMIG_SET_SCAN, &s) ? -errno : 0;
}

int kvs_get_temperature(int session, uint64_t gfn, uint64_t npages, uint8_t *levels,
			uint64_t hist[KVS_NR_LEVELS], uint64_t *passes)
{
	struct kvmmig_temperature t = {
		.size = sizeof(t),
		.gfn = gfn,
		.npages = npages,
		.levels_ptr = (uintptr_t)levels,
	};

	if (ioctl(session, KVMMIG_GET_TEMPERATURE, &t))
		return -errno;
	for (int i = 0; i < KVS_NR_LEVELS; i++)
		hist[i] = t.histogram[i];
	*passes = t.passes;
	return 0;
}

int kvs_get_dirty_rate(int session, int reset, struct kvs_dirty *d)
{
	static const char * const src[] = {
		[KVMMIG_DIRTY_SRC_NONE] = "none",
		[KVMMIG_DIRTY_SRC_RING] = "ring",
		[KVMMIG_DIRTY_SRC_BITMAP] = "bitmap",
		[KVMMIG_DIRTY_SRC_REPORTED] = "reported",
	};
	struct kvmmig_dirty_rate r = {
		.size = sizeof(r),
		.flags = reset ? KVMMIG_DIRTY_RATE_RESET : 0,
	};

	if (ioctl(session, KVMMIG_GET_DIRTY_RATE, &r))
		return -errno;
	d->source = r.source < ARRAY_SIZE(src) ? src[r.source] : "unknown";
	d->pages_per_sec = r.source == KVMMIG_DIRTY_SRC_NONE ? 0 : r.pages_per_sec;
	d->dirty_pages = r.dirty_pages;
	d->window_ns = r.window_ns;
	return 0;
}

int kvs_get_history(int session, struct kvs_history *h)
{
	static const char * const outcome[] = {
		[KVMMIG_OUTCOME_NONE] = "none",
		[KVMMIG_OUTCOME_CONVERGED] = "converged",
		[KVMMIG_OUTCOME_FAILED] = "failed",
		[KVMMIG_OUTCOME_CANCELLED] = "cancelled",
	};
	struct kvmmig_history r = { .size = sizeof(r) };

	if (ioctl(session, KVMMIG_GET_HISTORY, &r))
		return -errno;
	h->migrations = r.migrations;
	h->last_outcome = r.last_outcome < ARRAY_SIZE(outcome) ?
			  outcome[r.last_outcome] : "unknown";
	h->last_rounds = r.last_rounds;
	h->last_dirty_rate = r.last_dirty_rate;
	h->last_send_rate = r.last_send_rate;
	h->last_throttle_pct = r.last_throttle_pct;
	h->max_throttle_pct = r.max_throttle_pct;
	h->last_downtime_ns = r.last_downtime_ns;
	return 0;
}

int kvs_get_stats_fd(int session)
{
	int fd = ioctl(session, KVMMIG_GET_STATS_FD);

	return fd < 0 ? -errno : fd;
}

struct kvs_stats {
	int fd;
	struct kvm_stats_header hdr;
	char *desc;		/* num_desc descriptors */
	size_t desc_size;	/* fixed part + name_size */
	uint64_t *data;		/* snapshot of the data block, by offset */
	size_t data_size;
};

struct kvs_stats *kvs_stats_open(int fd)
{
	struct kvs_stats *st = calloc(1, sizeof(*st));
	size_t n;
	uint32_t i;

	if (!st)
		goto fail;
	st->fd = fd;
	if (pread(fd, &st->hdr, sizeof(st->hdr), 0) != sizeof(st->hdr))
		goto fail;
	st->desc_size = sizeof(struct kvm_stats_desc) + st->hdr.name_size;
	n = st->desc_size * st->hdr.num_desc;
	st->desc = malloc(n ? n : 1);
	if (!st->desc || pread(fd, st->desc, n, st->hdr.desc_offset) != (ssize_t)n)
		goto fail;
	/* the data block spans the largest offset + size of a descriptor */
	for (i = 0; i < st->hdr.num_desc; i++) {
		struct kvm_stats_desc *d = (void *)(st->desc + i * st->desc_size);
		size_t end = d->offset + (size_t)d->size * sizeof(uint64_t);

		d->name[st->hdr.name_size - 1] = 0;
		if (end > st->data_size)
			st->data_size = end;
	}
	st->data = calloc(1, st->data_size ? st->data_size : 8);
	if (!st->data || kvs_stats_refresh(st))
		goto fail;
	return st;
fail:
	if (st) {
		free(st->desc);
		free(st->data);
		free(st);
	}
	close(fd);
	return NULL;
}

int kvs_stats_refresh(struct kvs_stats *st)
{
	ssize_t r = pread(st->fd, st->data, st->data_size, st->hdr.data_offset);

	return r == (ssize_t)st->data_size ? 0 : (r < 0 ? -errno : -EIO);
}

uint64_t kvs_stats_get(struct kvs_stats *st, const char *name, int *found)
{
	for (uint32_t i = 0; st && i < st->hdr.num_desc; i++) {
		struct kvm_stats_desc *d = (void *)(st->desc + i * st->desc_size);

		if (strcmp(d->name, name))
			continue;
		if (found)
			*found = 1;
		return st->data[d->offset / sizeof(uint64_t)];
	}
	if (found)
		*found = 0;
	return 0;
}

void kvs_stats_close(struct kvs_stats *st)
{
	if (!st)
		return;
	close(st->fd);
	free(st->desc);
	free(st->data);
	free(st);
}
