/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Fault context (migrate/faults.c, KVMMIG_FAULTS): the recent faults of
 * each vCPU, recorded from KVM's page-fault tracepoint.
 */
#ifndef _KVMMIG_FAULTS_H
#define _KVMMIG_FAULTS_H

#include <linux/types.h>
#include <uapi/linux/kvmmig.h>

/* Enough room for every record of the largest VM. */
#define KVMMIG_FAULTS_MAX_RECORDS	(KVMMIG_FAULTS_PER_VCPU * 4096)

int kvmmig_check_faults(const struct kvmmig_faults *a);

struct kvmmig_session;

#define kvmmig_faults(s) \
	((struct kvmmig_faults_ctx *)(s)->priv[KVMMIG_FEAT_FAULTS])

u32 kvmmig_faults_snapshot(struct kvmmig_session *s,
			   struct kvmmig_fault_record *out, u32 max);

#endif /* _KVMMIG_FAULTS_H */
