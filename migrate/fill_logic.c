// SPDX-License-Identifier: GPL-2.0
/*
 * Deferred fill, pure logic (include/kvmmig/fill.h; the kernel side is
 * migrate/fill.c): does a page already hold what a fill record says.
 */
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
