# SPDX-License-Identifier: GPL-2.0
#
# Build every *.c of $(srcdir) into a static program in $(OUT), linked with
# the KVM selftest library of linux-source-6.1 (build-kvm-lib.sh).  Static:
# the test kernel's initramfs carries no shared libraries.  Included by the
# Makefiles of tools/testing/selftests/kvmmig and tools/kvmmig-demo, which
# set srcdir and OUT first.
#
# Programs include <linux/kvmmig.h> from the project's include/uapi, and the
# library's "kvm_util.h", "processor.h", "kselftest_harness.h" ...

top := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))/../../..)
BUILD_DIR ?= $(top)/build
KVM_LIB_MK := $(BUILD_DIR)/kvm-selftests/kvm-lib.mk

PROGS := $(patsubst $(srcdir)/%.c,$(OUT)/%,$(wildcard $(srcdir)/*.c))

all: $(PROGS)

# The fragment comes with the library: make runs the (stamped, fast when
# up to date) build script before reading it, every time, so that a new
# linux-source rebuilds the library and then relinks the programs.
ifneq ($(MAKECMDGOALS),clean)
include $(KVM_LIB_MK)
endif
$(KVM_LIB_MK): FORCE
	@BUILD_DIR=$(BUILD_DIR) $(top)/tools/testing/testbed/build-kvm-lib.sh

$(OUT):
	mkdir -p $@

# -MMD: rebuild a program when a header it includes changes.
$(OUT)/%: $(srcdir)/%.c $(KVM_LIB_DIR)/libkvm.a | $(OUT)
	$(CC) $(KVM_LIB_CFLAGS) -I$(top)/include/uapi -I$(srcdir) $(CFLAGS) \
		-MMD -MP -MF $@.d -o $@ $< $(KVM_LIB_LDLIBS)

-include $(PROGS:=.d)

clean:
	rm -f $(PROGS) $(PROGS:=.d)

FORCE:

.PHONY: all clean FORCE
