// SPDX-License-Identifier: GPL-2.0
/* migrate/order.c: placeholder, being written. */
#include <kvmmig/kvmmig.h>
