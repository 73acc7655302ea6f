/* SPDX-License-Identifier: GPL-2.0 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM kvmmig

#if !defined(_KVMMIG_SCHED_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _KVMMIG_SCHED_TRACE_H

#include <linux/tracepoint.h>
#include <kvmmig/throttle.h>

TRACE_DEFINE_ENUM(KVMMIG_THROTTLE_START);
TRACE_DEFINE_ENUM(KVMMIG_THROTTLE_HISTORY);
TRACE_DEFINE_ENUM(KVMMIG_THROTTLE_FIXED);
TRACE_DEFINE_ENUM(KVMMIG_THROTTLE_RISE);
TRACE_DEFINE_ENUM(KVMMIG_THROTTLE_UNPRODUCTIVE);
TRACE_DEFINE_ENUM(KVMMIG_THROTTLE_HOLD);
TRACE_DEFINE_ENUM(KVMMIG_THROTTLE_DECAY);
TRACE_DEFINE_ENUM(KVMMIG_THROTTLE_END);
TRACE_DEFINE_ENUM(KVMMIG_THROTTLE_STOP);

/* One decision of the stun-share controller (sched/throttle.c). */
TRACE_EVENT(kvmmig_throttle,
	    TP_PROTO(u32 session, u64 round, u64 dirty_rate, u64 send_rate,
		     u32 old_pct, u32 new_pct, u32 reason),
	    TP_ARGS(session, round, dirty_rate, send_rate, old_pct, new_pct,
		    reason),
	    TP_STRUCT__entry(__field(u32, session)
			     __field(u32, old_pct)
			     __field(u32, new_pct)
			     __field(u32, reason)
			     __field(u64, round)
			     __field(u64, dirty_rate)
			     __field(u64, send_rate)),
	    TP_fast_assign(__entry->session = session;
			   __entry->old_pct = old_pct;
			   __entry->new_pct = new_pct;
			   __entry->reason = reason;
			   __entry->round = round;
			   __entry->dirty_rate = dirty_rate;
			   __entry->send_rate = send_rate;),
	    TP_printk("session=%u round=%llu dirty_rate=%llu send_rate=%llu pct=%u->%u reason=%s",
		      __entry->session, __entry->round, __entry->dirty_rate,
		      __entry->send_rate, __entry->old_pct, __entry->new_pct,
		      __print_symbolic(__entry->reason,
				       { KVMMIG_THROTTLE_START, "start" },
				       { KVMMIG_THROTTLE_HISTORY, "history" },
				       { KVMMIG_THROTTLE_FIXED, "fixed" },
				       { KVMMIG_THROTTLE_RISE, "rise" },
				       { KVMMIG_THROTTLE_UNPRODUCTIVE, "unproductive" },
				       { KVMMIG_THROTTLE_HOLD, "hold" },
				       { KVMMIG_THROTTLE_DECAY, "decay" },
				       { KVMMIG_THROTTLE_END, "end" },
				       { KVMMIG_THROTTLE_STOP, "stop" }))
);

/* One stun that slept, on the vCPU's thread (sched/throttle.c). */
TRACE_EVENT(kvmmig_stun,
	    TP_PROTO(u32 session, u32 vcpu, u32 pct, u64 slept_ns),
	    TP_ARGS(session, vcpu, pct, slept_ns),
	    TP_STRUCT__entry(__field(u32, session)
			     __field(u32, vcpu)
			     __field(u32, pct)
			     __field(u64, slept_ns)),
	    TP_fast_assign(__entry->session = session;
			   __entry->vcpu = vcpu;
			   __entry->pct = pct;
			   __entry->slept_ns = slept_ns;),
	    TP_printk("session=%u vcpu=%u pct=%u slept_ns=%llu",
		      __entry->session, __entry->vcpu, __entry->pct,
		      __entry->slept_ns)
);

#endif /* _KVMMIG_SCHED_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH sched
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE throttle_trace
#include <trace/define_trace.h>
