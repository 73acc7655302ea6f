// SPDX-License-Identifier: GPL-2.0
/*
 * Working set and deferred fill, pure logic (see
 * include/kvmmig/working_set.h).
 *
 * The working set is built chunk by chunk in ascending frame order: each
 * chunk is a run of frames of one memslot with their temperature levels,
 * merged with the sorted list of recently faulted frames.  A faulted frame
 * that falls between chunks is in no memslot and is left out.  The output
 * is counted, or staged in a small buffer and flushed; it never holds more
 * than one buffer of frames in kernel memory.
 */
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/sort.h>
#include <linux/string.h>
#include <kvmmig/working_set.h>

static int kvmmig_ws_cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/**
 * kvmmig_ws_sort_unique() - sort frames ascending and drop duplicates
 * @v: the frames
 * @n: entries in @v
 *
 * Return: the entries left at the start of @v.
 */
u32 kvmmig_ws_sort_unique(u64 *v, u32 n)
{
	u32 i, j;

	if (!n)
		return 0;
	sort(v, n, sizeof(*v), kvmmig_ws_cmp_u64, NULL);
	for (i = 1, j = 1; i < n; i++)
		if (v[i] != v[j - 1])
			v[j++] = v[i];
	return j;
}

/**
 * kvmmig_ws_fault_gfns() - the frames of fault records that carry a GPA
 * @rec: the records
 * @n: entries in @rec
 * @gfns: room for @n frames
 *
 * Return: frames written to @gfns, in record order (not sorted).
 */
u32 kvmmig_ws_fault_gfns(const struct kvmmig_fault_record *rec, u32 n,
			 u64 *gfns)
{
	u32 i, k = 0;

	for (i = 0; i < n; i++)
		if (rec[i].flags & KVMMIG_FAULT_GFN)
			gfns[k++] = rec[i].gfn;
	return k;
}

/**
 * kvmmig_ws_out_init() - start an output
 * @o: the output
 * @write: stage and flush (else count only)
 * @limit: with @write, the most runs (struct kvmmig_gfn_range, as
 *	KVMMIG_GET_WORKING_SET returns them) that may be output
 * @buf: staging buffer, with @write
 * @cap: its size in words, at least 1 with @write (a run's two words may
 *	go out in two flushes)
 *
 * @o->flush and @o->ctx are set by the caller afterwards.
 */
void kvmmig_ws_out_init(struct kvmmig_ws_out *o, bool write,
			u64 limit, u64 *buf, u32 cap)
{
	memset(o, 0, sizeof(*o));
	o->write = write;
	o->limit = limit;
	o->buf = buf;
	o->cap = cap;
}

static int kvmmig_ws_flush(struct kvmmig_ws_out *o)
{
	int ret = 0;

	if (o->len && o->flush)
		ret = o->flush(o->ctx, o->pos - o->len, o->buf, o->len);
	o->len = 0;
	return ret;
}

/* Output one word (with @write); flush when the buffer is full. */
static int kvmmig_ws_put(struct kvmmig_ws_out *o, u64 word)
{
	o->pos++;
	if (!o->write)
		return 0;
	o->buf[o->len++] = word;
	return o->len == o->cap ? kvmmig_ws_flush(o) : 0;
}

/* Output the open run, if any. */
static int kvmmig_ws_close_run(struct kvmmig_ws_out *o)
{
	int ret;

	if (!o->run_len)
		return 0;
	ret = kvmmig_ws_put(o, o->run_gfn);
	if (!ret)
		ret = kvmmig_ws_put(o, o->run_len);
	o->run_len = 0;
	return ret;
}

static int kvmmig_ws_emit(struct kvmmig_ws_out *o, u64 gfn, bool hot)
{
	int ret = 0;

	if (!o->run_len || gfn != o->run_gfn + o->run_len) {
		/* a new run: frames come ascending, so this one is apart */
		if (o->write && o->nr_runs >= o->limit)
			return -EOVERFLOW;
		ret = kvmmig_ws_close_run(o);
		o->nr_runs++;
		o->run_gfn = gfn;
		o->run_len = 1;
	} else {
		o->run_len++;
	}
	o->total++;
	if (hot)
		o->nr_hot++;
	else
		o->nr_faulted++;
	return ret;
}

/**
 * kvmmig_ws_merge_chunk() - emit the working set of one chunk of frames
 * @o: the output
 * @f: the recently faulted frames, or NULL
 * @base_gfn: first frame of the chunk; chunks come in ascending order and
 *	do not overlap
 * @levels: temperature level of each frame of the chunk, or NULL to leave
 *	temperature out (KVMMIG_TEMP_NO_SLOT is never in the set)
 * @n: frames in the chunk
 * @min_level: the threshold: frames at this level or above are hot
 *
 * Emits, ascending, each frame of the chunk that is hot or faulted, once.
 * Faulted frames below @base_gfn not consumed by an earlier chunk are in
 * no chunk: they are skipped.
 *
 * Return: 0, -EOVERFLOW when a writing output would pass its limit, or
 * the error of a flush.
 */
int kvmmig_ws_merge_chunk(struct kvmmig_ws_out *o, struct kvmmig_ws_faulted *f,
			  u64 base_gfn, const u8 *levels, u32 n, u32 min_level)
{
	u64 end = base_gfn + n;
	u32 i;
	int ret;

	while (f && f->next < f->n && f->gfns[f->next] < base_gfn)
		f->next++;
	if (!levels) {
		for (; f && f->next < f->n && f->gfns[f->next] < end; f->next++) {
			ret = kvmmig_ws_emit(o, f->gfns[f->next], false);
			if (ret)
				return ret;
		}
		return 0;
	}
	for (i = 0; i < n; i++) {
		bool hot = levels[i] != KVMMIG_TEMP_NO_SLOT &&
			   levels[i] >= min_level;
		bool faulted = f && f->next < f->n &&
			       f->gfns[f->next] == base_gfn + i;

		if (faulted)
			f->next++;
		if (hot || faulted) {
			ret = kvmmig_ws_emit(o, base_gfn + i, hot);
			if (ret)
				return ret;
		}
	}
	return 0;
}

/**
 * kvmmig_ws_out_finish() - flush what is staged
 * @o: the output
 *
 * Return: 0 or the error of the flush.
 */
int kvmmig_ws_out_finish(struct kvmmig_ws_out *o)
{
	int ret = kvmmig_ws_close_run(o);

	if (!ret && o->write)
		ret = kvmmig_ws_flush(o);
	return ret;
}

/**
 * kvmmig_check_working_set() - check a struct kvmmig_working_set
 * @a: the kernel's copy of the argument (@size and @flags checked by the
 *	dispatcher)
 *
 * Return: 0, or -EINVAL for a @min_level outside 1..KVMMIG_TEMP_NR_LEVELS
 * (the last one leaves temperature out), more room than
 * KVMMIG_WS_MAX_RUNS, room without a buffer, or non-zero reserved fields.
 */
int kvmmig_check_working_set(const struct kvmmig_working_set *a)
{
	if (a->reserved0 || memchr_inv(a->reserved, 0, sizeof(a->reserved)))
		return -EINVAL;
	if (a->min_level < 1 || a->min_level > KVMMIG_TEMP_NR_LEVELS)
		return -EINVAL;
	if (a->max_runs > KVMMIG_WS_MAX_RUNS)
		return -EINVAL;
	if (a->max_runs && !a->runs_ptr)
		return -EINVAL;
	return 0;
}
