/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Deferred fill (migrate/fill.c): the destination records each page's
 * content class and writes it on the page's first access.  The pure logic
 * is migrate/fill_logic.c.
 */
#ifndef _KVMMIG_FILL_H
#define _KVMMIG_FILL_H

#include <linux/types.h>
#include <uapi/linux/kvmmig.h>

bool kvmmig_fill_page_holds(const void *page, size_t len, u32 class, u64 value);
bool kvmmig_fill_class_may_hold(u32 class, u64 value);

struct kvmmig_session;

#define kvmmig_fill(s) \
	((struct kvmmig_fill_map *)(s)->priv[KVMMIG_FEAT_FILL])

int kvmmig_check_fill(const struct kvmmig_fill *a);
int kvmmig_check_fill_page(const struct kvmmig_fill_page *p);

#endif /* _KVMMIG_FILL_H */
