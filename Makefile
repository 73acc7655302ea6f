# SPDX-License-Identifier: GPL-2.0
#
# kvmmig top-level Makefile.
#
#   make                 build kvmmig.ko against KDIR
#   make check           build everything, boot the test kernel, run KUnit
#                        and the selftests against real KVM (tools/testing/)
#   make demo            boot the test kernel and attach to a running guest
#   make lint            checkpatch --strict, W=1 and sparse, 6.1 and 6.12
#
# KDIR defaults to the running kernel's build tree, else the newest Debian
# headers installed under /usr/src.

KDIR ?= $(firstword $(wildcard /lib/modules/$(shell uname -r)/build) \
	$(shell ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sort -V | tail -n 1))
PWD := $(CURDIR)
BUILD_DIR ?= $(PWD)/build
TESTBED := $(PWD)/tools/testing/testbed

export BUILD_DIR

.PHONY: all modules clean check demo lint kunit selftests help

all: modules

modules:
	@test -n "$(KDIR)" || { echo "no kernel headers: apt-get install linux-headers-amd64" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(PWD) modules

clean:
	@test -z "$(KDIR)" || $(MAKE) -C $(KDIR) M=$(PWD) clean
	rm -rf $(BUILD_DIR)

help:
	@sed -n '3,12p' Makefile
