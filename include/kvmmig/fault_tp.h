/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KVM's kvm_page_fault tracepoint, as the fault probe (migrate/faults.c)
 * was checked against it.  The tracepoint is exported, but its argument
 * list is not an ABI (KVM has changed it more than once) and a probe is
 * registered through a void pointer: nothing would check it.  So the
 * argument list of each kernel the probe is known to match is written
 * here; `make check` compares each with that kernel's own source
 * (arch/x86/kvm/trace.h, from Debian's linux-source packages:
 * tools/testing/testbed/check-tracepoints.sh), the compiler checks the
 * probe against the one of the kernel being built for, and on any other
 * kernel the probe is not built: KVMMIG_CAP_FAULTS reads 0 and
 * KVMMIG_FAULTS fails with -EOPNOTSUPP.
 */
#ifndef _KVMMIG_FAULT_TP_H
#define _KVMMIG_FAULT_TP_H

#include <linux/version.h>

/* check-tracepoints.sh: kernel 6.1 */
#define KVMMIG_TP_KVM_PAGE_FAULT_6_1 \
	struct kvm_vcpu *vcpu, u64 fault_address, u64 error_code
/* check-tracepoints.sh: kernel 6.12 */
#define KVMMIG_TP_KVM_PAGE_FAULT_6_12 \
	struct kvm_vcpu *vcpu, u64 fault_address, u64 error_code

#if LINUX_VERSION_MAJOR == 6 && LINUX_VERSION_PATCHLEVEL == 1
#define KVMMIG_TP_KVM_PAGE_FAULT	KVMMIG_TP_KVM_PAGE_FAULT_6_1
#elif LINUX_VERSION_MAJOR == 6 && LINUX_VERSION_PATCHLEVEL == 12
#define KVMMIG_TP_KVM_PAGE_FAULT	KVMMIG_TP_KVM_PAGE_FAULT_6_12
#endif

/* Whether the fault probe is built for this kernel. */
#ifdef KVMMIG_TP_KVM_PAGE_FAULT
#define KVMMIG_FAULT_PROBE	1
#else
#define KVMMIG_FAULT_PROBE	0
#endif

#endif /* _KVMMIG_FAULT_TP_H */
