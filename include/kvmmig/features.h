/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The features of kvmmig, one line each: KVMMIG_FEATURE(ID, name) says that
 * struct kvmmig_feature kvmmig_<name>_feature exists (defined in the
 * feature's own file) and gives it the index KVMMIG_FEAT_<ID>.  The order
 * is the order of init at attach; stop and destroy run in reverse.
 *
 * Included several times (no include guard), with KVMMIG_FEATURE defined.
 */
KVMMIG_FEATURE(CORE, core)
KVMMIG_FEATURE(MEMSLOTS, memslots)
KVMMIG_FEATURE(TEMPERATURE, temperature)
KVMMIG_FEATURE(CONTENT, content)
KVMMIG_FEATURE(DIRTY_RATE, dirty_rate)
KVMMIG_FEATURE(FREE_HINTS, free_hints)
KVMMIG_FEATURE(SEND_ORDER, send_order)
KVMMIG_FEATURE(THROTTLE, throttle)
KVMMIG_FEATURE(FAULTS, faults)
KVMMIG_FEATURE(PREFETCH, prefetch)
KVMMIG_FEATURE(WORKING_SET, working_set)
KVMMIG_FEATURE(FILL, fill)
