#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install the Debian 12 packages the test bed needs.  A no-op (one
# dpkg-query call) when everything is present; otherwise runs apt-get update
# once and installs only what is missing.  Needs root to install.
#
# virtme-ng (vng, to run the KUnit suites in the debug kernel) is not in
# Debian 12: its .deb (Architecture: all, pure Python) comes from Debian 13
# (trixie) through an apt configuration of our own in $BUILD_DIR/apt-trixie
# (sources list, lists, cache), on the mirror the system's sources already
# use (checked with debian-archive-keyring, which has the trixie keys);
# trixie is never added to the system's sources.  Its dependencies
# come from Debian 12 first; then `dpkg -i`.
#
# QEMU's source (tools/qemu/build.sh) comes the same way: deb-src lines
# for the suites the system's sources use, in a sources file of our own
# (<dir>/apt/sources.list), never in the system's.
#
# Usage: deps.sh
#        deps.sh --qemu-source VERSION DIR
#           download Debian's qemu source package VERSION into DIR (once)
#           and print the path of its .dsc

set -euo pipefail
. "$(dirname "$0")/lib.sh"

packages=(
	# test kernel + headers for out-of-tree modules, and the kernel tree
	# (lib/kunit, the KVM selftest library, checkpatch.pl)
	linux-image-amd64 linux-headers-amd64 linux-source-6.1 xz-utils
	# the second supported kernel: linted, and the selftests run on it;
	# its source for the fault probe's tracepoint check
	linux-image-6.12-amd64 linux-headers-6.12-amd64 linux-source-6.12
	# booting it: TCG with emulated SVM+NPT, a busybox initramfs;
	# binutils: readelf (PVH kernel check), addr2line (guest stack dumps)
	qemu-system-x86 busybox-static kmod cpio binutils
	# building modules, the static selftests and the selftest library
	gcc make libc6-dev linux-libc-dev bc flex bison libelf-dev
	# kvmmig-stat's heat map, linked static: libpng16.a and libz.a
	libpng-dev zlib1g-dev
	# static checks (checkpatch.pl is perl)
	sparse perl git
	# virtme-ng's dependencies (vng itself: install_vng below)
	python3-argcomplete python3-pkg-resources python3-requests file
	# the patched QEMU (tools/qemu/build.sh): its minimal KVM-only build,
	# dpkg-source to unpack Debian's source package
	meson ninja-build pkg-config libglib2.0-dev libpixman-1-dev libfdt-dev dpkg-dev
)
vng_suite=trixie
vng_package=virtme-ng

# Print deb-src lines for every Debian 12 suite the system's sources use:
# a deb822 stanza (sources.list.d/*.sources) or a one-line "deb" entry.
debian_src_lines() {
	local f
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -r "$f" ] || continue
		awk '
			function flush(i) {
				if (uri != "" && deb)
					for (i = 1; i <= n; i++)
						if (suites[i] ~ /^bookworm/)
							printf "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s %s main\n", uri, suites[i]
				uri = ""; n = 0; deb = 0
			}
			/^[ \t]*$/ { flush(); next }
			/^Types:/ { for (i = 2; i <= NF; i++) if ($i == "deb") deb = 1 }
			/^URIs:/ { uri = $2 }
			/^Suites:/ { n = 0; for (i = 2; i <= NF; i++) suites[++n] = $i }
			END { flush() }' "$f"
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -r "$f" ] || continue
		awk '$1 == "deb" { sub(/\[[^]]*\] */, "");
			if ($3 ~ /^bookworm/)
				printf "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s %s main\n", $2, $3 }' "$f"
	done
}

# Download qemu's source package $1 into $2 (once) and print its .dsc.
qemu_source() {
	local version=$1 dir=$2 upstream dsc
	upstream=${version#*:}
	dsc=$dir/qemu_${upstream}.dsc
	if [ -f "$dsc" ] && [ -f "$dir/.complete" ]; then
		printf '%s\n' "$dsc"
		return
	fi
	local apt=$dir/apt
	local opts=(-o "Dir::State::Lists=$apt/lists" -o "Dir::Etc::SourceList=$apt/sources.list"
		-o "Dir::Etc::SourceParts=$apt/sources.list.d" -o "Dir::Cache=$apt/cache"
		-o "APT::Sandbox::User=root")
	rm -rf "$dir"
	mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/sources.list.d"
	debian_src_lines | sort -u >"$apt/sources.list"
	[ -s "$apt/sources.list" ] || kvmmig_die "no Debian 12 suite in /etc/apt/sources.list(.d)"
	kvmmig_log "qemu source $version: apt-get source with $apt/sources.list"
	apt-get -q "${opts[@]}" update >&2
	(cd "$dir" && apt-get -q "${opts[@]}" source --download-only "qemu=$version") >&2 ||
		kvmmig_die "qemu $version: source not on the mirror (pin the version Debian ships now in tools/qemu/VERSION: apt-cache policy qemu-system-x86, without a +bN suffix)"
	[ -f "$dsc" ] || kvmmig_die "qemu $version: $dsc missing after download"
	touch "$dir/.complete"
	printf '%s\n' "$dsc"
}

if [ "${1:-}" = --qemu-source ]; then
	[ $# -eq 3 ] || kvmmig_die "usage: deps.sh --qemu-source VERSION DIR"
	qemu_source "$2" "$3"
	exit 0
fi

# dpkg-query prints one line per known package; those not installed (or
# unknown to dpkg) are missing.
installed=$(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' "${packages[@]}" 2>/dev/null |
	awk '$1 == "ii" { print $2 }') || true
missing=()
for p in "${packages[@]}"; do
	grep -qx -- "$p" <<<"$installed" || missing+=("$p")
done

dpkg-query -W -f='${db:Status-Abbrev}' "$vng_package" 2>/dev/null | grep -q '^ii' ||
	missing+=("$vng_package")

if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi

# Print the Debian mirror the system's sources use for Debian 12: the first
# URI of a deb822 stanza (sources.list.d/*.sources) or a one-line entry
# (sources.list, *.list) whose suite is bookworm.
debian_mirror() {
	local f
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -r "$f" ] || continue
		awk '
			/^[ \t]*$/ { if (uri != "" && suite) exit; uri = ""; suite = 0; next }
			/^URIs:/ { uri = $2 }
			/^Suites:/ { for (i = 2; i <= NF; i++) if ($i == "bookworm") suite = 1 }
			END { if (uri != "" && suite) print uri }' "$f"
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -r "$f" ] || continue
		awk '$1 == "deb" { sub(/\[[^]]*\] */, ""); if ($3 == "bookworm") print $2 }' "$f"
	done
}

# Download virtme-ng's .deb from Debian 13 with apt configuration of our own
# and install it.
install_vng() {
	local dir=$BUILD_DIR/apt-$vng_suite mirror deb
	local opts=(-o "Dir::State::Lists=$dir/lists" -o "Dir::Etc::SourceList=$dir/sources.list"
		-o "Dir::Etc::SourceParts=$dir/sources.list.d" -o "Dir::Cache=$dir/cache"
		-o "APT::Sandbox::User=root")
	mirror=$(debian_mirror | head -n 1) || true
	[ -n "$mirror" ] || kvmmig_die "no Debian mirror for bookworm in /etc/apt/sources.list(.d)"
	rm -rf "$dir"
	mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial" "$dir/sources.list.d" "$dir/deb"
	printf 'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s %s main\n' \
		"$mirror" "$vng_suite" >"$dir/sources.list"
	kvmmig_log "downloading $vng_package from $mirror $vng_suite"
	apt-get -q "${opts[@]}" update
	(cd "$dir/deb" && apt-get -q "${opts[@]}" download "$vng_package")
	deb=$(ls "$dir/deb/${vng_package}"_*.deb)
	dpkg -i "$deb"
}

kvmmig_log "installing: ${missing[*]}"
[ "$(id -u)" -eq 0 ] || kvmmig_die "need root to install: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt_missing=()
for p in "${missing[@]}"; do
	[ "$p" = "$vng_package" ] || apt_missing+=("$p")
done
if [ ${#apt_missing[@]} -gt 0 ]; then
	apt-get update -q
	# Recommends would pull in GUIs and firmware the test bed never uses.
	apt-get install -y -q --no-install-recommends "${apt_missing[@]}"
fi
case " ${missing[*]} " in *" $vng_package "*) install_vng ;; esac
