// SPDX-License-Identifier: GPL-2.0
/*
 * kvmmig-migrate, the supervisor: the parent process.  It makes the
 * listening socket (loopback, or a veth pair into the destination's own
 * network namespace with --transport netns), forks the destination and
 * the source, collects their struct result through pipes, ends a
 * destination paused after losing its source, and merges the results
 * (summary.c decides the outcome and exit status).
 */
#include "kvmmig-migrate.h"

/* ---- supervisor ---- */
void lo_up(void)
{
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	strcpy(ifr.ifr_name, "lo");
	if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr))
		goto out;
	if (!(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
		if (ioctl(fd, SIOCSIFFLAGS, &ifr))
			msg("kvmmig-migrate: bringing lo up: %s\n", strerror(errno));
	}
out:
	if (fd >= 0)
		close(fd);
}

/* ---- --transport netns: the destination in its own network namespace ---- */
#define NL_BUF	1024

static void nl_attr(struct nlmsghdr *n, int type, const void *data, int len)
{
	struct rtattr *rta = (struct rtattr *)((char *)n + NLMSG_ALIGN(n->nlmsg_len));

	rta->rta_type = type;
	rta->rta_len = RTA_LENGTH(len);
	if (len)
		memcpy(RTA_DATA(rta), data, len);
	n->nlmsg_len = NLMSG_ALIGN(n->nlmsg_len) + RTA_ALIGN(rta->rta_len);
}

static struct rtattr *nl_nest(struct nlmsghdr *n, int type)
{
	struct rtattr *nest = (struct rtattr *)((char *)n + NLMSG_ALIGN(n->nlmsg_len));

	nl_attr(n, type, NULL, 0);
	return nest;
}

static void nl_nest_end(struct nlmsghdr *n, struct rtattr *nest)
{
	nest->rta_len = (char *)n + n->nlmsg_len - (char *)nest;
}

/* Send one request, wait for its ack; returns 0 or -errno. */
static int nl_talk(struct nlmsghdr *n)
{
	char buf[NL_BUF];
	struct nlmsgerr *e;
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE), ret = -EIO;
	ssize_t len;

	if (fd < 0)
		return -errno;
	n->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	if (send(fd, n, n->nlmsg_len, 0) < 0) {
		ret = -errno;
		goto out;
	}
	len = recv(fd, buf, sizeof(buf), 0);
	if (len >= (ssize_t)NLMSG_LENGTH(sizeof(*e)) &&
	    ((struct nlmsghdr *)buf)->nlmsg_type == NLMSG_ERROR) {
		e = NLMSG_DATA((struct nlmsghdr *)buf);
		ret = e->error;
	}
out:
	close(fd);
	return ret;
}

int veth_create(const char *a, const char *b)
{
	char buf[NL_BUF] = { 0 };
	struct nlmsghdr *n = (struct nlmsghdr *)buf;
	struct ifinfomsg *peer;
	struct rtattr *li, *data, *pr;

	n->nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
	n->nlmsg_type = RTM_NEWLINK;
	n->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	nl_attr(n, IFLA_IFNAME, a, strlen(a) + 1);
	li = nl_nest(n, IFLA_LINKINFO);
	nl_attr(n, IFLA_INFO_KIND, "veth", 5);
	data = nl_nest(n, IFLA_INFO_DATA);
	pr = nl_nest(n, VETH_INFO_PEER);
	peer = (struct ifinfomsg *)((char *)n + n->nlmsg_len);
	memset(peer, 0, sizeof(*peer));
	n->nlmsg_len += NLMSG_ALIGN(sizeof(*peer));
	nl_attr(n, IFLA_IFNAME, b, strlen(b) + 1);
	nl_nest_end(n, pr);
	nl_nest_end(n, data);
	nl_nest_end(n, li);
	return nl_talk(n);
}

int link_to_netns(const char *ifname, pid_t pid)
{
	char buf[NL_BUF] = { 0 };
	struct nlmsghdr *n = (struct nlmsghdr *)buf;
	__u32 p = pid;

	n->nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
	n->nlmsg_type = RTM_NEWLINK;
	nl_attr(n, IFLA_IFNAME, ifname, strlen(ifname) + 1);
	nl_attr(n, IFLA_NET_NS_PID, &p, sizeof(p));
	return nl_talk(n);
}

int link_del(const char *ifname)
{
	char buf[NL_BUF] = { 0 };
	struct nlmsghdr *n = (struct nlmsghdr *)buf;

	n->nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
	n->nlmsg_type = RTM_DELLINK;
	nl_attr(n, IFLA_IFNAME, ifname, strlen(ifname) + 1);
	return nl_talk(n);
}

/* Address @ip/24 on @ifname, and up. */
int if_config(const char *ifname, in_addr_t ip)
{
	struct ifreq ifr = { 0 };
	struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), ret = 0;

	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", ifname);
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = ip;
	if (ioctl(fd, SIOCSIFADDR, &ifr))
		ret = -errno;
	sin->sin_addr.s_addr = htonl(0xffffff00);
	if (!ret && ioctl(fd, SIOCSIFNETMASK, &ifr))
		ret = -errno;
	if (!ret && ioctl(fd, SIOCGIFFLAGS, &ifr))
		ret = -errno;
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (!ret && ioctl(fd, SIOCSIFFLAGS, &ifr))
		ret = -errno;
	close(fd);
	return ret;
}

int listen_on(in_addr_t ip, struct sockaddr_in *sa)
{
	socklen_t sl = sizeof(*sa);
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_addr.s_addr = ip;
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)sa, sizeof(*sa)) || listen(fd, 1) ||
	    getsockname(fd, (struct sockaddr *)sa, &sl)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A child's result to the supervisor; returns 0, or -1 when the pipe failed. */
int write_result(int fd, const struct result *r)
{
	return write(fd, r, sizeof(*r)) == sizeof(*r) ? 0 : -1;
}

/* A child's result, if it sent one. */
int read_result(int fd, struct result *r)
{
	ssize_t n;

	memset(r, 0, sizeof(*r));
	do {
		n = read(fd, r, sizeof(*r));
	} while (n < 0 && errno == EINTR);
	return n == sizeof(*r) && r->valid;
}

/*
 * Migrate: fork the destination and the source, collect their results,
 * print the summary; returns the exit status.  @selftest: run without
 * options, print a TAP line.
 */
int supervise(int selftest)
{
	struct sockaddr_in sa;
	int lsock = -1, spipe[2], dpipe[2], d2s[2], s2d[2], st, rc, ret = -EIO;
	struct result sr, dr, R;
	pid_t dst, src, parent;
	int have_s, have_d, setup_failed;
	char if_s[IFNAMSIZ], if_d[IFNAMSIZ], c;
	in_addr_t ip_s = htonl(0x0ad50001 | (getpid() % 250) << 8);
	in_addr_t ip_d = htonl(0x0ad50002 | (getpid() % 250) << 8);

	lo_up();
	snprintf(if_s, sizeof(if_s), "kms%d", getpid());
	snprintf(if_d, sizeof(if_d), "kmd%d", getpid());
	if (o.netns) {
		ret = veth_create(if_s, if_d);
		if (ret) {
			msg("kvmmig-migrate: --transport netns: no veth pair: %s\n",
			    strerror(-ret));
			msg("kvmmig-migrate: (veth.ko not loaded? Debian has CONFIG_VETH=m)\n");
			msg("kvmmig-migrate: FALLING BACK TO LOOPBACK TCP\n");
			o.netns = 0;
		}
	}
	if (pipe(spipe) || pipe(dpipe) || pipe(d2s) || pipe(s2d))
		return 5;
	if (!o.netns) {
		lsock = listen_on(htonl(INADDR_LOOPBACK), &sa);
		if (lsock < 0) {
			msg("kvmmig-migrate: listening socket: %s\n", strerror(errno));
			return 5;
		}
	}

	parent = getpid();
	dst = fork();
	if (dst == 0) {
		/* a destination paused after losing its source waits: not past us */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
			_exit(5);
		close(spipe[0]);
		close(spipe[1]);
		close(dpipe[0]);
		alarm(1200 + o.start_delay_ms / 1000);
		if (o.netns) {
			if (unshare(CLONE_NEWNET)) {
				msg("kvmmig-migrate: unshare(CLONE_NEWNET): %s\n", strerror(errno));
				_exit(5);
			}
			lo_up();
			if (write(d2s[1], "u", 1) != 1 || read(s2d[0], &c, 1) != 1 || c != 'm')
				_exit(5);
			ret = if_config(if_d, ip_d);
			lsock = listen_on(ip_d, &sa);
			if (ret || lsock < 0) {
				msg("kvmmig-migrate: destination netns: %s: %s\n", if_d,
				    strerror(ret ? -ret : errno));
				_exit(5);
			}
			if (write(d2s[1], &sa, sizeof(sa)) != sizeof(sa))
				_exit(5);
		}
		_exit(dest_main(lsock, dpipe[1]));
	}
	if (o.netns) {
		if (read(d2s[0], &c, 1) == 1)
			ret = link_to_netns(if_d, dst);
		if (!ret && write(s2d[1], "m", 1) == 1)
			ret = if_config(if_s, ip_s);
		if (!ret && read(d2s[0], &sa, sizeof(sa)) != sizeof(sa))
			ret = -EIO;
		if (ret) {
			msg("kvmmig-migrate: netns setup failed: %s\n", strerror(-ret));
			kill(dst, SIGKILL);
			link_del(if_s);
			return 5;
		}
	}
	if (!o.quiet)
		printf("kvmmig-migrate: workload %s, mode %s, %d vCPUs, %d MiB, %s %s:%d\n",
		       workload_name[o.workload], o.mode ? "baseline" : "kvmmig", o.vcpus,
		       o.mem_mib, o.netns ? "veth into the destination's netns," : "loopback",
		       inet_ntoa(sa.sin_addr), ntohs(sa.sin_port));
	fflush(stdout);

	src = fork();
	if (src == 0) {
		int sock = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
			_exit(5);

		if (lsock >= 0)
			close(lsock);
		close(dpipe[0]);
		close(dpipe[1]);
		close(spipe[0]);
		alarm(1200 + o.start_delay_ms / 1000);
		if (sock < 0 || connect(sock, (struct sockaddr *)&sa, sizeof(sa))) {
			msg("kvmmig-migrate: connect: %s\n", strerror(errno));
			_exit(5);
		}
		_exit(source_main(sock, spipe[1], dst));
	}
	if (lsock >= 0)
		close(lsock);
	close(spipe[1]);
	close(dpipe[1]);
	have_s = read_result(spipe[0], &sr);
	have_d = read_result(dpipe[0], &dr);
	waitpid(src, &st, 0);
	if (!have_s && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL &&
	    (o.kill_src_at || o.kill_src_in_postcopy || o.kill_src_after_postcopy))
		msg("kvmmig-migrate: source killed (fault injection)\n");
	setup_failed = !have_s && WIFEXITED(st) && WEXITSTATUS(st) == 5;
	if (have_d && dr.outcome == OUT_SRC_LOST && dr.dst_paused) {
		/* a destination paused after losing its source: still there, then ended */
		usleep(200 * 1000);
		if (waitpid(dst, &st, WNOHANG) == 0) {
			kill(dst, SIGTERM);
			waitpid(dst, &st, 0);
		} else {
			dr.dst_paused = 0;
			msg("kvmmig-migrate: paused destination exited by itself\n");
		}
	} else {
		waitpid(dst, &st, 0);
	}
	if (o.netns)
		link_del(if_s);	/* normally gone with the destination's netns */

	R = merge_results(have_s ? &sr : NULL, have_d ? &dr : NULL, setup_failed);
	rc = exit_status[R.outcome];
	if (selftest)
		printf("%sok 1 loopback migration, idle workload, kvmmig mode: %s\n",
		       rc ? "not " : "", outcome_name[R.outcome]);
	return print_result(&R, rc);
}
