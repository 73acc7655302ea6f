// SPDX-License-Identifier: GPL-2.0
/*
 * Deferred fill, pure logic (include/kvmmig/fill.h; the kernel side is
 * migrate/fill.c): does a page already hold what a fill record says.
 */
#include <linux/bitops.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/string.h>
#include <kvmmig/fill.h>

/**
 * kvmmig_fill_class_may_hold() - can untouched (all-zero) memory hold it
 * @class: KVMMIG_CLASS_*
 * @value: the class's value
 *
 * Return: true for ZERO, and for PATTERN of the word 0.
 */
bool kvmmig_fill_class_may_hold(u32 class, u64 value)
{
	return class == KVMMIG_CLASS_ZERO ||
	       (class == KVMMIG_CLASS_PATTERN && !value);
}

/**
 * kvmmig_fill_page_holds() - does a page already hold a content class
 * @page: the page's bytes
 * @len: their length, a multiple of 8
 * @class: KVMMIG_CLASS_ZERO or _PATTERN (anything else: false)
 * @value: PATTERN: the repeated 8-byte word
 *
 * Return: true when every byte of @page is what @class and @value say.
 */
bool kvmmig_fill_page_holds(const void *page, size_t len, u32 class, u64 value)
{
	const u64 *w = page;
	size_t i;

	if (class == KVMMIG_CLASS_ZERO)
		return !memchr_inv(page, 0, len);
	if (class != KVMMIG_CLASS_PATTERN)
		return false;
	for (i = 0; i < len / sizeof(u64); i++)
		if (w[i] != value)
			return false;
	return true;
}

/**
 * kvmmig_check_fill() - check a struct kvmmig_fill
 * @a: the kernel's copy of the argument (@size and @flags checked by the
 *	dispatcher)
 *
 * Return: 0, or -EINVAL unless @flags is exactly one operation, CLEAR
 * comes without pages and the others with 1..KVMMIG_FILL_MAX_PAGES, and
 * the reserved fields are zero.
 */
int kvmmig_check_fill(const struct kvmmig_fill *a)
{
	if (hweight32(a->flags) != 1)
		return -EINVAL;
	if (memchr_inv(a->reserved, 0, sizeof(a->reserved)))
		return -EINVAL;
	if (a->flags & KVMMIG_FILL_CLEAR)
		return a->nr_pages ? -EINVAL : 0;
	if (!a->nr_pages || a->nr_pages > KVMMIG_FILL_MAX_PAGES)
		return -EINVAL;
	return 0;
}

/**
 * kvmmig_check_fill_page() - check one entry of FILL SET
 * @p: the entry
 *
 * Before its frame is checked against the memslots: a class a page can
 * be filled from, no flags, ZERO with value 0, and a DUP that is not its
 * own canonical page.
 *
 * Return: 0 or -EINVAL.
 */
int kvmmig_check_fill_page(const struct kvmmig_fill_page *p)
{
	if (p->flags)
		return -EINVAL;
	switch (p->class) {
	case KVMMIG_CLASS_ZERO:
		return p->value ? -EINVAL : 0;
	case KVMMIG_CLASS_PATTERN:
		return 0;
	case KVMMIG_CLASS_DUP:
		return p->value == p->gfn ? -EINVAL : 0;
	default:
		return -EINVAL;
	}
}
