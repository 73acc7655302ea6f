/* SPDX-License-Identifier: GPL-2.0 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM kvmmig

#if !defined(_KVMMIG_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _KVMMIG_TRACE_H

#include <linux/tracepoint.h>

/* One temperature pass of one session (mm/temperature.c). */
TRACE_EVENT(kvmmig_scan_pass,
	    TP_PROTO(u32 session, u64 pass, u64 regions, u64 accessed,
		     u64 pages_tested, u64 hot_pages, u64 ns, u32 period_ms),
	    TP_ARGS(session, pass, regions, accessed, pages_tested, hot_pages,
		    ns, period_ms),
	    TP_STRUCT__entry(__field(u32, session)
			     __field(u32, period_ms)
			     __field(u64, pass)
			     __field(u64, regions)
			     __field(u64, accessed)
			     __field(u64, pages_tested)
			     __field(u64, hot_pages)
			     __field(u64, ns)),
	    TP_fast_assign(__entry->session = session;
			   __entry->period_ms = period_ms;
			   __entry->pass = pass;
			   __entry->regions = regions;
			   __entry->accessed = accessed;
			   __entry->pages_tested = pages_tested;
			   __entry->hot_pages = hot_pages;
			   __entry->ns = ns;),
	    TP_printk("session=%u pass=%llu regions=%llu accessed=%llu pages_tested=%llu hot=%llu ns=%llu next_ms=%u",
		      __entry->session, __entry->pass, __entry->regions,
		      __entry->accessed, __entry->pages_tested,
		      __entry->hot_pages, __entry->ns, __entry->period_ms)
);

#endif /* _KVMMIG_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH mm
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE temperature_trace
#include <trace/define_trace.h>
