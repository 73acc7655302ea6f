// SPDX-License-Identifier: GPL-2.0
/* hint/hint_map.c: placeholder, being written. */
#include <kvmmig/kvmmig.h>
