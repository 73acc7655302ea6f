# SPDX-License-Identifier: GPL-2.0
#
# Used by build-kvm-lib.sh as
#   make -C <ksrc>/tools/testing/selftests/kvm -f kvm-lib-build.mk OUTPUT=<dir> <dir>/libkvm.a
# It reads the selftests' own Makefile, so the library's object list and
# compiler flags are exactly upstream's for that source version, and only
# adds an archive of the library objects.

include Makefile

# "q", not "r": lib/perf_test_util.o and lib/x86_64/perf_test_util.o share a
# member name and "r" would keep only one of them.
$(OUTPUT)/libkvm.a: $(LIBKVM_OBJS)
	rm -f $@
	$(AR) qcs $@ $^
