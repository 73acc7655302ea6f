// SPDX-License-Identifier: GPL-2.0
/* mm/classify.c: placeholder, being written. */
#include <kvmmig/kvmmig.h>
