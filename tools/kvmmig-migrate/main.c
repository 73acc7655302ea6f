// SPDX-License-Identifier: GPL-2.0
/*
 * kvmmig-migrate: a small reference VMM that runs a KVM guest (long-mode C
 * guest code, N vCPUs, KVM selftest library) and live-migrates it over TCP
 * to a destination VM in a second process, using kvmmig for the send order,
 * page classification, free-page hints and the stun controller (--mode
 * kvmmig), or doing what a plain VMM does (--mode baseline).  The CLI is
 * fixed by the project's vmm-cli contract; see bad_usage().
 *
 * Processes: a supervisor (supervise.c) forks the destination (which
 * accepts on a listening socket the supervisor made) and the source (which
 * connects); each sends a struct result back through a pipe, and the
 * supervisor prints the summary and decides the exit status, so it can
 * also report a source that was killed.  The files are listed in
 * kvmmig-migrate.h.
 */
#include "kvmmig-migrate.h"

struct opts o = { .vcpus = 2, .mem_mib = 64, .max_rounds = 30, .downtime_ms = 300,
	.prefetch_window = 8, .work_units = 1, .save_after_ms = 3000, .ws_min_level = 1 };

static void bad_usage(void)
{
	static const char * const lines[] = {
		"usage: kvmmig-migrate [--workload idle|zero|dup|hot|dirty|busy|chase]",
		"  [--vcpus N] [--mem-mib M] [--mode kvmmig|baseline] [--no-throttle]",
		"  [--max-rounds N] [--downtime-ms D] [--transport loopback|netns]",
		"  [--datastore FILE] [--history-in FILE] [--history-out FILE]",
		"  [--kill-dest-at-round K] [--kill-src-at-round K] [--json] [--quiet]",
		"  [--bandwidth-mbps N] [--start-delay-ms MS]",
		"  post-copy: [--postcopy] [--precopy-rounds N] [--prefetch none|gpa|gva]",
		"  [--prefetch-window N] [--postcopy-bg now|after-work] [--work-units K]",
		"  [--kill-src-in-postcopy N] [--kill-src-after-postcopy] [--corrupt-dest K]",
		"  save / restore: --save FILE [--save-after-ms MS] [--ws-min-level L]",
		"  | --restore FILE [--restore-mode lazy|ws|resident] [--work-units K]",
		"  [--background now|after-work]",
	};

	for (size_t i = 0; i < ARRAY_SIZE(lines); i++)
		fprintf(stderr, "%s\n", lines[i]);
	exit(5);
}

static int lookup(const char *s, const char * const *names, int n)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(s, names[i]))
			return i;
	fprintf(stderr, "kvmmig-migrate: unknown value '%s'\n", s);
	bad_usage();
	return 0;
}

static void parse(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "workload", 1, 0, 'w' }, { "vcpus", 1, 0, 'v' }, { "mem-mib", 1, 0, 'm' },
		{ "mode", 1, 0, 'M' }, { "no-throttle", 0, 0, 'T' }, { "max-rounds", 1, 0, 'r' },
		{ "downtime-ms", 1, 0, 'd' }, { "transport", 1, 0, 't' },
		{ "datastore", 1, 0, 'D' }, { "history-in", 1, 0, 'i' },
		{ "history-out", 1, 0, 'o' }, { "kill-dest-at-round", 1, 0, 'K' },
		{ "kill-src-at-round", 1, 0, 'S' }, { "json", 0, 0, 'j' }, { "quiet", 0, 0, 'q' },
		{ "postcopy", 0, 0, 'P' }, { "precopy-rounds", 1, 0, 'R' },
		{ "prefetch", 1, 0, 'f' }, { "prefetch-window", 1, 0, 'W' },
		{ "postcopy-bg", 1, 0, 'B' }, { "background", 1, 0, 'B' },
		{ "work-units", 1, 0, 'u' },
		{ "kill-src-in-postcopy", 1, 0, 'X' },
		{ "kill-src-after-postcopy", 0, 0, 'Y' },
		{ "bandwidth-mbps", 1, 0, 'b' }, { "start-delay-ms", 1, 0, 'y' },
		{ "save", 1, 0, 's' },
		{ "corrupt-dest", 1, 0, 'C' },
		{ "restore", 1, 0, 'L' }, { "restore-mode", 1, 0, 'l' },
		{ "save-after-ms", 1, 0, 'a' }, { "ws-min-level", 1, 0, 'e' },
		{ "help", 0, 0, 'h' }, { 0 }
	};
	static const char * const bgs[] = { "now", "after-work" };
	static const char * const modes[] = { "kvmmig", "baseline" };
	static const char * const transports[] = { "loopback", "netns" };
	int c;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'w':
			o.workload = lookup(optarg, workload_name, WL_NR);
			break;
		case 'v':
			o.vcpus = atoi(optarg);
			break;
		case 'm':
			o.mem_mib = atoi(optarg);
			break;
		case 'M':
			o.mode = lookup(optarg, modes, 2);
			break;
		case 'T':
			o.no_throttle = 1;
			break;
		case 'r':
			o.max_rounds = atoi(optarg);
			break;
		case 'd':
			o.downtime_ms = atoi(optarg);
			break;
		case 't':
			o.netns = lookup(optarg, transports, 2);
			break;
		case 'D':
			o.datastore = optarg;
			break;
		case 'i':
			o.history_in = optarg;
			break;
		case 'o':
			o.history_out = optarg;
			break;
		case 'K':
			o.kill_dest_at = atoi(optarg);
			break;
		case 'S':
			o.kill_src_at = atoi(optarg);
			break;
		case 'j':
			o.json = 1;
			break;
		case 'q':
			o.quiet = 1;
			break;
		case 'P':
			o.postcopy = 1;
			break;
		case 'R':
			o.precopy_rounds = atoi(optarg);
			break;
		case 'f':
			o.prefetch = lookup(optarg, prefetch_name, 3);
			break;
		case 'W':
			o.prefetch_window = atoi(optarg);
			break;
		case 'B':
			o.bg_after_work = lookup(optarg, bgs, 2);
			break;
		case 'u':
			o.work_units = atoi(optarg);
			break;
		case 'X':
			o.kill_src_in_postcopy = atoi(optarg);
			break;
		case 'Y':
			o.kill_src_after_postcopy = 1;
			break;
		case 'b':
			o.bandwidth_mbps = atoi(optarg);
			break;
		case 'y':
			o.start_delay_ms = atoi(optarg);
			break;
		case 'C':
			o.corrupt_every = atoi(optarg);
			break;
		case 's':
			o.save = optarg;
			break;
		case 'L':
			o.restore = optarg;
			break;
		case 'l':
			o.restore_mode = lookup(optarg, restore_name, 3);
			break;
		case 'a':
			o.save_after_ms = atoi(optarg);
			break;
		case 'e':
			o.ws_min_level = atoi(optarg);
			break;
		default:
			bad_usage();
		}
	}
	if (optind < argc || o.vcpus < 1 || o.vcpus > MAX_VCPUS || o.mem_mib < 1 ||
	    o.mem_mib > 4096 || o.max_rounds < 1 || o.downtime_ms < 0 ||
	    o.precopy_rounds < 0 || (o.precopy_rounds && !o.postcopy) ||
	    o.prefetch_window < 1 || o.prefetch_window > KVMMIG_PREFETCH_MAX_WINDOW ||
	    o.work_units < 1 || o.save_after_ms < 0 || o.kill_src_in_postcopy < 0 ||
	    o.ws_min_level < 1 || o.ws_min_level > KVMMIG_TEMP_NR_LEVELS ||
	    (o.kill_src_after_postcopy && !o.postcopy) ||
	    o.bandwidth_mbps < 0 || o.bandwidth_mbps > 100000 || o.start_delay_ms < 0 ||
	    ((o.save || o.restore) && (o.bandwidth_mbps || o.start_delay_ms)) ||
	    (o.save && o.restore) || ((o.save || o.restore) && (o.postcopy || o.netns)))
		bad_usage();
}

/*
 * The KVM selftest library loads the guest code from the program's own ELF
 * file, named by program_invocation_name: when run through $PATH that is a
 * bare name, so point it at the executable itself.
 */
static void find_own_elf(void)
{
	static char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n > 0) {
		exe[n] = 0;
		program_invocation_name = exe;
	}
}

int main(int argc, char **argv)
{
	struct sigaction act = { .sa_handler = kick_handler };
	int selftest;

	setvbuf(stdout, NULL, _IOLBF, 0);
	debug = !!getenv("KVMMIG_MIGRATE_DEBUG");
	selftest = argc == 1;
	find_own_elf();
	parse(argc, argv);
	if (selftest)	/* no options: a selftest for the test bed's runner */
		printf("TAP version 13\n1..1\n");
	sigaction(SIGUSR1, &act, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (o.save || o.restore) {
		alarm(1200);
		return o.save ? save_main() : restore_main();
	}
	return supervise(selftest);
}
