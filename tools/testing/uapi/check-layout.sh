#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The uapi header's structures must have one layout for 64-bit and 32-bit
# callers (a 32-bit VMM on a 64-bit kernel gets no compat translation):
# compile the header with -m64 and with -m32 and compare every structure's
# sizeof and every member's offsetof.  The list of structures and members
# is read from the header itself, so a new structure is covered without
# an edit here.  Only the compiler and binutils are needed: the values
# are array sizes in an object file (nm -S), nothing is linked or run, and
# x86's asm/ headers serve both widths (they test __i386__ themselves).
#
# Usage: check-layout.sh [HEADER]   (default include/uapi/linux/kvmmig.h)
# Prints "error: ..." per difference; exit status 0 when all match.

set -euo pipefail

top=$(cd "$(dirname "$0")/../../.." && pwd)
header=$(realpath "${1:-$top/include/uapi/linux/kvmmig.h}")
cc=${CC:-gcc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# One "struct member" line per member, "struct" alone per structure.
perl -e '
	local $/;
	my $src = <>;
	$src =~ s{/\*.*?\*/}{}gs;
	$src =~ s{//[^\n]*}{}g;
	while ($src =~ /\bstruct\s+(\w+)\s*\{(.*?)\}\s*;/gs) {
		my ($name, $body) = ($1, $2);
		print "$name\n";
		for my $decl (split /;/, $body) {
			next unless $decl =~ /(\w+)\s*(\[[^\]]*\]\s*)*$/;
			my $m = $1;
			# a bit-field cannot be offsetof()ed: its neighbours are
			next if $decl =~ /:\s*\d+\s*$/;
			print "$name $m\n";
		}
	}
' "$header" >"$tmp/members"

if ! [ -s "$tmp/members" ]; then
	echo "error: no structure found in $header"
	exit 1
fi

{
	echo "#include \"$header\""
	n=0
	while read -r s m; do
		n=$((n + 1))
		if [ -z "${m:-}" ]; then
			echo "char S${n}__${s}[sizeof(struct $s) + 1];"
		else
			echo "char O${n}__${s}__${m}[__builtin_offsetof(struct $s, $m) + 1];"
		fi
	done <"$tmp/members"
} >"$tmp/layout.c"

# x86's asm/ headers are the same for i386 and x86_64 callers
multiarch=$($cc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
for w in 64 32; do
	$cc -m$w -c -fno-common -idirafter "/usr/include/$multiarch" \
		-o "$tmp/layout$w.o" "$tmp/layout.c"
	nm -S "$tmp/layout$w.o" | perl -ane 'print "$F[3] ", hex($F[1]) - 1, "\n" if @F == 4' |
		sort >"$tmp/layout$w"
done

status=0
while read -r sym v64 v32; do
	[ "$v64" = "$v32" ] && continue
	status=1
	case $sym in
	S*)	s=${sym#*__}
		echo "error: sizeof(struct $s): $v64 with -m64, $v32 with -m32" ;;
	O*)	rest=${sym#*__}
		echo "error: offsetof(struct ${rest%%__*}, ${rest#*__}): $v64 with -m64, $v32 with -m32" ;;
	esac
done < <(join "$tmp/layout64" "$tmp/layout32")

n64=$(wc -l <"$tmp/layout64")
n32=$(wc -l <"$tmp/layout32")
nm=$(wc -l <"$tmp/members")
if [ "$n64" != "$nm" ] || [ "$n32" != "$nm" ]; then
	echo "error: $nm sizes and offsets asked, $n64 (-m64) and $n32 (-m32) found"
	status=1
fi
echo "uapi layout: $(grep -c ' ' "$tmp/members") members of $(grep -vc ' ' "$tmp/members") structures compared"
exit $status
