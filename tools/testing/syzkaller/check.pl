#!/usr/bin/perl
# SPDX-License-Identifier: GPL-2.0
#
# Check kvmmig.txt against include/uapi/linux/kvmmig.h, without syzkaller:
#  - every ioctl the header defines has an ioctl$ description using it;
#  - kvmmig.txt.const is what gen-const.sh makes from the header now, and
#    holds every constant the descriptions use;
#  - every field of every described structure has the offset and size of
#    the C structure's field of the same name (the C program that prints
#    them is compiled against the header).
# Prints "error: ..." per problem (lint.sh counts them) and exits 1 then.
#
# Usage: check.pl   (Env: CC)

use strict;
use warnings;
use File::Basename;
use File::Temp qw(tempdir);

my $here = dirname(__FILE__);
my $top = "$here/../../..";
my $hdr = "$top/include/uapi/linux/kvmmig.h";
my $desc = "$here/kvmmig.txt";
my $constf = "$here/kvmmig.txt.const";
my $cc = $ENV{CC} || 'cc';
my $errors = 0;
my $tmp = tempdir(CLEANUP => 1);

sub error { print "error: @_\n"; $errors++; }

sub slurp {
	my ($f) = @_;
	open(my $fh, '<', $f) or die "$f: $!";
	local $/;
	return <$fh>;
}

my $h = slurp($hdr);
my $txt = slurp($desc);
(my $code = $txt) =~ s/#[^\n]*//g;

# 1. every ioctl has a description
my @ioctls = $h =~ /^#define\s+(KVMMIG_\w+)\s+_IO/mg;
error("no ioctls found in $hdr") unless @ioctls;
for my $n (@ioctls) {
	error("ioctl $n has no ioctl\$$n description in kvmmig.txt")
		unless $code =~ /^ioctl\$\Q$n\E\(/m;
	error("no description passes cmd const[$n]")
		unless $code =~ /cmd const\[\Q$n\E\]/;
}

# 2. the constants
system("$here/gen-const.sh", "$tmp/const") == 0 or error("gen-const.sh failed");
if (-f "$tmp/const" && slurp("$tmp/const") ne slurp($constf)) {
	error("kvmmig.txt.const differs from what gen-const.sh makes from the header");
}
my %consts = map { /^(\w+) = / ? ($1 => 1) : () } split(/\n/, slurp($constf));
my %structs;
my %aliases = (kvmmig_gpa => 8, kvmmig_gfn => 8);
while ($code =~ /^(\w+)\s*\{\n(.*?)^\}/msg) {
	my ($name, $body) = ($1, $2);
	$structs{$name} = [map { /^\s*(\w+)\s+(.+?)\s*(?:\(out\))?\s*$/ ? [$1, $2] : () }
			   split(/\n/, $body)];
}
(my $ids = $code) =~ s/\$\w+//g;	# syscall variant names
for my $id ($ids =~ /\b([A-Z_][A-Z0-9_]+)\b/g) {
	error("constant $id used in kvmmig.txt is not in kvmmig.txt.const")
		unless $consts{$id};
}

# 3. layouts: syzlang's natural alignment against the C structures
sub tsize {
	my ($t) = @_;
	return (1, 1) if $t =~ /^int8\b/;
	return (2, 2) if $t =~ /^int16\b/;
	return (4, 4) if $t =~ /^int32\b/;
	return (8, 8) if $t =~ /^(int64|intptr|ptr64)\b/;
	return (4, 4) if $t =~ /^fd\w*$/;
	return ($aliases{$t}, $aliases{$t}) if $aliases{$t};
	if ($t =~ /^(?:const|flags|len|bytesize|bitsize)\[.*,\s*int(\d+)\]$/) {
		return ($1 / 8, $1 / 8);
	}
	if ($t =~ /^array\[(.+),\s*(\d+)\]$/) {
		my ($s, $a) = tsize($1);
		return ($s * $2, $a);
	}
	return ssize($t) if $structs{$t};
	error("cannot size type '$t'");
	return (0, 1);
}

sub ssize {
	my ($s) = @_;
	my ($off, $al) = (0, 1);
	for my $f (@{$structs{$s}}) {
		my ($sz, $a) = tsize($f->[1]);
		$off = ($off + $a - 1) & ~($a - 1);
		$f->[2] = $off;
		$f->[3] = $sz;
		$off += $sz;
		$al = $a if $a > $al;
	}
	return (($off + $al - 1) & ~($al - 1), $al);
}

my %cname = (kvmmig_classify_range => 'kvmmig_classify',
	     kvmmig_classify_list => 'kvmmig_classify',
	     kvmmig_history_out => 'kvmmig_history',
	     kvmmig_working_set_runs => 'kvmmig_working_set');
open(my $c, '>', "$tmp/layout.c") or die;
print $c "#include <stddef.h>\n#include <stdio.h>\n#include <linux/kvmmig.h>\n";
print $c "#define F(s, f, n) printf(\"%s.%s %zu %zu\\n\", n, #f, offsetof(struct s, f), sizeof(((struct s *)0)->f))\n";
print $c "int main(void)\n{\n";
my %want;
for my $s (sort keys %structs) {
	my ($size) = ssize($s);
	my $cs = $cname{$s} || $s;
	$want{"$s"} = $size;
	print $c "\tprintf(\"$s %zu\\n\", sizeof(struct $cs));\n";
	for my $f (@{$structs{$s}}) {
		$want{"$s.$f->[0]"} = "$f->[2] $f->[3]";
		print $c "\tF($cs, $f->[0], \"$s\");\n";
	}
}
print $c "\treturn 0;\n}\n";
close($c);
if (system("$cc -I$top/include/uapi -o $tmp/layout $tmp/layout.c") != 0) {
	error("layout program does not build (a field missing in the header?)");
} else {
	for (split(/\n/, `$tmp/layout`)) {
		my ($k, $v) = /^(\S+) (.*)$/;
		error("$k: syzlang gives '$want{$k}', C gives '$v'") if $want{$k} ne $v;
	}
}
printf("kvmmig.txt: %d ioctls, %d structures, %d constants checked\n",
       scalar(@ioctls), scalar(keys %structs), scalar(keys %consts));
exit($errors ? 1 : 0);
