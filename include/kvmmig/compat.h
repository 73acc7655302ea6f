/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Differences between the supported kernels (Debian 12: 6.1 and 6.12),
 * absorbed by feature tests rather than version numbers where possible.
 */
#ifndef _KVMMIG_COMPAT_H
#define _KVMMIG_COMPAT_H

#include <linux/kvm_host.h>

/*
 * 6.1 has a fixed KVM_ADDRESS_SPACE_NUM; since 6.8 the count is per VM
 * (a VM with private memory has no SMM address space).
 */
#ifdef KVM_MAX_NR_ADDRESS_SPACES
#define KVMMIG_MAX_NR_AS		KVM_MAX_NR_ADDRESS_SPACES
#define kvmmig_vm_nr_as(kvm)		kvm_arch_nr_memslot_as_ids(kvm)
#else
#define KVMMIG_MAX_NR_AS		KVM_ADDRESS_SPACE_NUM
#define kvmmig_vm_nr_as(kvm)		KVM_ADDRESS_SPACE_NUM
#endif

#endif /* _KVMMIG_COMPAT_H */
