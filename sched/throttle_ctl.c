// SPDX-License-Identifier: GPL-2.0
/* sched/throttle_ctl.c: placeholder, being written. */
#include <kvmmig/kvmmig.h>
