// SPDX-License-Identifier: GPL-2.0
/*
 * Proves the test bed: a VM with one vCPU runs long-mode guest code written
 * in C, which writes a global and reports through ucalls; the host checks
 * both.  Needs no kvmmig code.
 */
#include <stdint.h>

#include "kselftest.h"
#include "kvm_util.h"
#include "processor.h"

#define SANITY_MAGIC	0x6b766d6d69670001ull	/* "kvmmig" + 1 */
#define SANITY_STAGE	1

static uint64_t guest_value;

static void guest_code(void)
{
	guest_value = SANITY_MAGIC;
	GUEST_SYNC(SANITY_STAGE);
	GUEST_DONE();
}

/* Run the vCPU to its next ucall and return the ucall's command. */
static uint64_t run_to_ucall(struct kvm_vcpu *vcpu, struct ucall *uc)
{
	vcpu_run(vcpu);
	if (vcpu->run->exit_reason != KVM_EXIT_IO) {
		ksft_print_msg("unexpected exit reason %u (%s)\n",
			       vcpu->run->exit_reason,
			       exit_reason_str(vcpu->run->exit_reason));
		return UCALL_NONE;
	}
	return get_ucall(vcpu, uc);
}

int main(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;
	uint64_t cmd;

	ksft_print_header();
	ksft_set_plan(3);

	/* The library exits with KSFT_SKIP when /dev/kvm is missing. */
	vm = vm_create_with_one_vcpu(&vcpu, guest_code);

	cmd = run_to_ucall(vcpu, &uc);
	if (cmd == UCALL_ABORT)
		ksft_print_msg("guest assertion: %s at %s:%lu\n",
			       (const char *)uc.args[GUEST_ERROR_STRING],
			       (const char *)uc.args[GUEST_FILE],
			       uc.args[GUEST_LINE]);
	ksft_test_result(cmd == UCALL_SYNC && uc.args[1] == SANITY_STAGE,
			 "guest_sync\n");

	sync_global_from_guest(vm, guest_value);
	ksft_test_result(guest_value == SANITY_MAGIC,
			 "guest_write_visible_to_host\n");
	if (guest_value != SANITY_MAGIC)
		ksft_print_msg("guest_value = %#lx, expected %#llx\n",
			       guest_value, SANITY_MAGIC);

	cmd = run_to_ucall(vcpu, &uc);
	ksft_test_result(cmd == UCALL_DONE, "guest_done\n");

	kvm_vm_free(vm);
	ksft_finished();
}
