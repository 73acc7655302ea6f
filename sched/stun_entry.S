/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The stun task work's entry (sched/throttle.c).  A queued stun holds a
 * module reference, and whatever drops the last one may let a racing
 * rmmod free the module's text: a C function that calls module_put()
 * still has its return (and, with frame pointers, its epilogue) to run
 * there.  So the body runs in C and the reference is dropped by a jump:
 * module_put() returns straight to task_work_run().
 */
#include <linux/linkage.h>
#include <asm/ibt.h>

	.text
SYM_FUNC_START(kvmmig_stun_entry)
	ENDBR
	push	%rbp
	mov	%rsp, %rbp
	call	kvmmig_stun_body	/* its callback_head is in %rdi */
	pop	%rbp
	leaq	__this_module(%rip), %rdi
	jmp	module_put
SYM_FUNC_END(kvmmig_stun_entry)
