/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kvmmig-migrate: types and functions shared by its files.
 *
 *   main.c             options, the program's entry
 *   supervise.c        the parent process: forks destination and source,
 *                      network namespaces, fault-injection kills, outcome
 *   summary.c          the result: summary table, JSON line, exit status
 *   vm.c               the VM (memslots, vCPUs and their threads, guest
 *                      code), page and RAM hashes, module session helpers
 *   wire.c             the wire protocol's framing: send / receive helpers,
 *                      the page-data rate limit
 *   source.c           the source: pre-copy rounds, stop-and-copy
 *   source_postcopy.c  the source after a post-copy switch-over
 *   dest.c             the destination
 *   uffd.c             the receiving side of post-copy and restore (struct
 *                      pc): userfaultfd fault thread, page placement,
 *                      receive thread, RAM read-back
 *   saverestore.c      --save and --restore
 */
#ifndef KVMMIG_MIGRATE_H
#define KVMMIG_MIGRATE_H

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>

#include <linux/kvmmig.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <linux/userfaultfd.h>

#include "gctl.h"

#define PAGE		4096ull
#define DATA_GFN	(DATA_GPA / PAGE)
#define BATCH		2048		/* pages per classify call / wire batch */

enum mode { MODE_KVMMIG, MODE_BASELINE };
enum outcome { OUT_CONVERGED, OUT_NOT_CONVERGED, OUT_DEST_LOST, OUT_SRC_LOST,
	       OUT_MISMATCH, OUT_SETUP };
extern const char * const outcome_name[];
extern const int exit_status[];	/* by outcome */
extern const char * const workload_name[];

enum { PF_NONE, PF_GPA, PF_GVA };
enum { RM_LAZY, RM_WS, RM_RESIDENT };
extern const char * const prefetch_name[];
extern const char * const restore_name[];

struct opts {
	int workload, vcpus, mem_mib, mode, no_throttle, max_rounds, downtime_ms;
	int netns, json, quiet, kill_dest_at, kill_src_at;
	const char *datastore, *history_in, *history_out;
	/* post-copy, save/restore */
	int postcopy, precopy_rounds, prefetch, prefetch_window, bg_after_work;
	int kill_src_in_postcopy, restore_mode, work_units, save_after_ms, ws_min_level;
	int corrupt_every, kill_src_after_postcopy;
	int bandwidth_mbps, start_delay_ms;
	const char *save, *restore;
};

extern struct opts o;

/* ---- wire format (source -> destination) ---- */
/*
 * Post-copy adds: W_PC_BEGIN (arg: data pages the destination does not
 * hold), W_PC_MAP (count struct wpage: the class of each of them; DUP:
 * value = the canonical page's gfn), W_PC_GO (arg: page hash of the
 * source's RAM at the stop point); destination -> source: W_REQ (count
 * gfns, the faulting one last), W_BG_START (start the background pass),
 * W_PC_DONE (every page arrived).
 */
enum { W_PAGES = 1, W_STATE, W_DONE, W_ACK_RECEIVED, W_REPORT, W_CANCEL, W_HASH,
	W_PC_BEGIN, W_PC_MAP, W_PC_GO, W_REQ, W_BG_START, W_PC_DONE };

/* wire page classes: KVMMIG_CLASS_DATA/ZERO/PATTERN/DUP, plus: */
#define W_CLASS_DSTORE	16	/* contents in the datastore file */
#define W_CLASS_FREE	17	/* post-copy map, save file: free in the guest's view */
#define W_CLASS_PRESENT	18	/* save file: (unused on the wire) */

struct whdr {
	uint32_t type;
	uint32_t count;
	uint64_t arg;
};

struct wpage {
	uint64_t gfn;
	uint32_t class;
	uint32_t ref;		/* DUP: index of the canonical in this batch */
	uint64_t value;		/* PATTERN: the word */
};

/* Result of a child, through its pipe to the supervisor. */
struct result {
	int valid;
	int outcome;
	uint64_t rounds, pages_data, pages_zero, pages_pattern, pages_dup, pages_free;
	uint64_t bytes, throttle_first, throttle_max, total_ms, downtime_ms;
	int hash_ok, dst_progress, src_alive;
	uint64_t classify_x1000;
	/* post-copy / restore (destination or restoring process) */
	uint64_t pc_faults;		/* distinct missing pages faulted: requests / file reads */
	uint64_t uffd_msgs;		/* every userfaultfd fault message */
	uint64_t local_fills;		/* zero / pattern / duplicate pages filled on touch */
	uint64_t work_faults;		/* pc_faults until --work-units passes were done */
	uint64_t work_ms;		/* resume (restore: start) until that work was done */
	uint64_t prefetch_issued, prefetch_used;	/* module stats; ~0: not available */
	uint64_t prefetch_vmm, prefetch_vmm_useful;	/* prefetched; of them trace pages */
	uint64_t ws_pages, pages_requested, pc_ms;
	/* destination RAM read back: frames compared, frames that differ */
	uint64_t ram_checked, ram_bad;
	uint64_t pages_dstore;		/* data pages the destination read from the datastore */
	uint64_t ws_runs;		/* save / ws restore: runs of the working set */
	int dst_paused;			/* source lost: guest kept paused */
};

struct vmm;

struct vcpu_ctx {
	struct vmm *m;
	struct kvm_vcpu *vcpu;
	pthread_t thread;
	int id, parked, started;
	struct kvm_x86_state *state;	/* saved by this thread, on request */
};

struct vmm {
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpus[MAX_VCPUS];
	struct vcpu_ctx ctx[MAX_VCPUS];
	struct gctl *ctl;
	uint64_t npages;		/* data pages */
	uint64_t slot0_pages;
	uint8_t *slot0_hva, *data_hva;
	uint64_t nbits;			/* DATA_GFN + npages */
	int session;			/* kvmmig session fd, or -1 */
	int is_source;
	/* run state */
	pthread_mutex_t run_lock;
	pthread_cond_t run_cond;
	int stop, quit, ready, save_req;
	/* hints */
	pthread_mutex_t hint_lock;
	int hints_on;			/* pass hints to the module */
	uint64_t hints_added, hints_failed;
	/* chase: data page of structure page i; 1 per data page in it */
	uint32_t *chase_map;
	uint8_t *is_chase;
	uint64_t chase_pages;
};

/* Per data page state on the receiving side. */
enum { PG_PRESENT, PG_DATA, PG_ZERO, PG_PATTERN, PG_DUP, PG_FREE };

/*
 * The receiving side of post-copy (pages from the source over TCP) and of
 * restore (pages from the save file): guest RAM of the data slot is
 * registered with userfaultfd (missing pages); a fault thread resolves
 * faults: zero / pattern / duplicate pages locally (deferred fill:
 * the metadata is recorded with KVMMIG_FILL SET and looked up with GET),
 * data pages from the source (with the prefetch list of KVMMIG_PREFETCH)
 * or from the file.  Each data page is placed once (the done bit, set
 * before UFFDIO_COPY by whoever places it), and its hash added then.
 * Locks: send_lock serialises the messages the fault thread and the main
 * thread send to the source; the bitmaps are atomic.
 */
struct pc {
	struct vmm *m;
	int uffd, sock, file, use_fill;
	uint64_t data_off;		/* restore: file offset of data page 0 */
	const uint8_t *fmap;		/* restore: the file's data pages, mapped */
	uint8_t *cls;			/* PG_* per data page */
	uint64_t *val;			/* pattern word; DUP: canonical data page index */
	uint8_t **canon;		/* cached contents of canonical pages */
	uint8_t *is_canon;
	uint64_t *done;			/* bit per data page: placed or filled */
	uint64_t *requested;		/* bit per data page: asked of the source */
	uint64_t *have;			/* bit per guest frame, for KVMMIG_PREFETCH */
	uint64_t need_data, placed_data;
	uint64_t hash;
	uint64_t *ph;			/* per guest frame: page_hash() placed; 0: none */
	int copy_err;			/* a UFFDIO_COPY failed: errno */
	uint64_t faults, msgs, local, prefetched, prefetched_useful, requested_pages;
	int lost, stop, recv_done;	/* READ_ONCE / WRITE_ONCE */
	int pc_done;			/* W_PC_DONE sent; under send_lock */
	int no_prefetch_msg;
	pthread_mutex_t send_lock;
	pthread_t fault_thread, aux_thread;
	int have_fault_thread, have_aux_thread;
	uint8_t zero[PAGE];
};

static inline int bit_test(const uint64_t *b, uint64_t i)
{
	return (__atomic_load_n(&b[i / 64], __ATOMIC_ACQUIRE) >> (i % 64)) & 1;
}

/* Set bit @i; returns its old value. */
static inline int bit_set(uint64_t *b, uint64_t i)
{
	return (__atomic_fetch_or(&b[i / 64], 1ull << (i % 64), __ATOMIC_ACQ_REL) >> (i % 64)) & 1;
}

/* The source's state (source.c, source_postcopy.c). */
struct src_state {
	struct vmm *m;
	int sock, dstore;
	int have_order, have_classify, have_mig;
	uint64_t *gfns;			/* send list, capacity nbits */
	struct kvmmig_gfn_range *runs;	/* the module's send order, capacity nbits */
	uint64_t *bits, *bits2;
	struct kvmmig_page_class *cls;
	uint8_t *data;
	struct wpage *wp;
	uint8_t zero[PAGE];
	/* per round */
	uint64_t r_data, r_zero, r_pattern, r_dup, r_free;
	struct result res;
	pid_t dst_pid;
	int pace;			/* page data at --bandwidth-mbps (pre-copy) */
};

extern uint64_t wire_bytes;	/* bytes sent, all kinds */
extern int debug;		/* KVMMIG_MIGRATE_DEBUG set: timings on stderr */

/* vm.c */
uint64_t now_ns(void);
void sleep_ns(uint64_t ns);
void msg(const char *fmt, ...);
void dbg(const char *fmt, ...);
void kick_handler(int sig);
uint8_t *gfn_hva(struct vmm *m, uint64_t gfn);
void dirty_log_on(struct vmm *m);
void dirty_log_get(struct vmm *m, uint64_t *bits);
void vcpus_start(struct vmm *m);
void vcpus_wait_ready(struct vmm *m);
void vcpus_save_states(struct vmm *m);
void vcpus_stop(struct vmm *m, int quit);
void vcpus_resume(struct vmm *m);
void vcpus_join(struct vmm *m);
int progress_check(struct vmm *m);
void vcpus_pause(struct vmm *m);
int counters_still(struct vmm *m, unsigned int ms);
void vmm_create(struct vmm *m, int is_source);
uint64_t ram_hash(struct vmm *m);
uint64_t popcount_bits(const uint64_t *b, uint64_t nbits);
uint64_t page_hash(uint64_t gfn, const void *page);
uint64_t ram_phash(struct vmm *m);
void fill_pattern(uint8_t *buf, uint64_t v);
uint64_t mod_stat(int session, const char *name);
int attach_session(struct vmm *m);
void faults_enable(struct vmm *m);
int work_done(struct vmm *m, const uint64_t *c0);

/* wire.c */
int send_all(int fd, const void *buf, size_t len);
int recv_all(int fd, void *buf, size_t len);
int send_hdr(int fd, uint32_t type, uint32_t count, uint64_t arg);
void pace_init(uint64_t mbps);
int send_paced(int fd, const void *buf, size_t len);

/* uffd.c */
int wire_to_pg(uint32_t class);
struct pc *pc_alloc(struct vmm *m);
int pc_register(struct pc *pc);
void pc_place(struct pc *pc, uint64_t p, const uint8_t *buf);
void pc_fill_local(struct pc *pc, uint64_t p);
void pc_fill_set(struct pc *pc);
void pc_hash_known(struct pc *pc);
int pc_verify_ram(struct pc *pc, uint64_t *checked, uint64_t *bad);
void pc_log_start(struct pc *pc);
int pc_send(struct pc *pc, uint32_t type, uint32_t count, uint64_t arg,
	    const void *payload, size_t len);
int pc_load_run(struct pc *pc, uint64_t p, uint64_t k, uint8_t *buf);
void *pc_recv_thread(void *arg);
void *pc_bg_file_thread(void *arg);
uint64_t placed_data(struct pc *pc);
void pc_counters(struct pc *pc, struct result *res);
int pc_check(struct pc *pc, uint64_t want, int read_back, struct result *res,
	     const char *what, const char *sender, const char *receiver);
void pc_start_fault_thread(struct pc *pc);
void pc_start_aux_thread(struct pc *pc, void *(*fn)(void *));
void pc_stop_threads(struct pc *pc);

/* source.c */
uint64_t send_order(struct src_state *s, uint64_t *bits, int all, uint64_t *nr_free);
int is_pattern_page(const uint8_t *p, uint64_t *v);
uint32_t classify(struct src_state *s, const uint64_t *gfns, uint32_t n);
int send_pages(struct src_state *s, const uint64_t *gfns, uint64_t n, int final);
int send_state(struct src_state *s);
void migration_end(struct src_state *s, uint32_t outcome, uint64_t downtime_ns);
int source_main(int sock, int resfd, pid_t dst_pid);

/* source_postcopy.c */
int source_postcopy(struct src_state *s, uint64_t *need, int *lost, uint64_t t_stop);

/* dest.c */
int dest_main(int lsock, int resfd);

/* saverestore.c */
int save_main(void);
int restore_main(void);

/* summary.c */
struct result merge_results(const struct result *sr, const struct result *dr, int setup_failed);
int print_result(const struct result *R, int rc);

/* supervise.c */
void lo_up(void);
int veth_create(const char *a, const char *b);
int link_to_netns(const char *ifname, pid_t pid);
int link_del(const char *ifname);
int if_config(const char *ifname, in_addr_t ip);
int listen_on(in_addr_t ip, struct sockaddr_in *sa);
int write_result(int fd, const struct result *r);
int read_result(int fd, struct result *r);
int supervise(int selftest);

#endif /* KVMMIG_MIGRATE_H */
