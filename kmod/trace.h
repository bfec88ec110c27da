/* SPDX-License-Identifier: GPL-2.0 */
/*
 * exo — tracepoints (events/exo/ in tracefs).
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM exo

#if !defined(_EXO_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _EXO_TRACE_H

#include <linux/tracepoint.h>

TRACE_EVENT(exo_env,
	TP_PROTO(u64 env_id, bool open),
	TP_ARGS(env_id, open),
	TP_STRUCT__entry(
		__field(u64, env_id)
		__field(bool, open)
	),
	TP_fast_assign(
		__entry->env_id = env_id;
		__entry->open = open;
	),
	TP_printk("env=%llu %s", __entry->env_id,
		  __entry->open ? "open" : "close")
);

TRACE_EVENT(exo_revoke,
	TP_PROTO(u64 env_id, u32 slot, u64 killed),
	TP_ARGS(env_id, slot, killed),
	TP_STRUCT__entry(
		__field(u64, env_id)
		__field(u32, slot)
		__field(u64, killed)
	),
	TP_fast_assign(
		__entry->env_id = env_id;
		__entry->slot = slot;
		__entry->killed = killed;
	),
	TP_printk("env=%llu slot=%u killed=%llu", __entry->env_id,
		  __entry->slot, __entry->killed)
);

TRACE_EVENT(exo_revoke_request,
	TP_PROTO(u64 env_id, u64 seq, u64 count, u32 deadline_ms),
	TP_ARGS(env_id, seq, count, deadline_ms),
	TP_STRUCT__entry(
		__field(u64, env_id)
		__field(u64, seq)
		__field(u64, count)
		__field(u32, deadline_ms)
	),
	TP_fast_assign(
		__entry->env_id = env_id;
		__entry->seq = seq;
		__entry->count = count;
		__entry->deadline_ms = deadline_ms;
	),
	TP_printk("env=%llu seq=%llu frames=%llu deadline=%ums",
		  __entry->env_id, __entry->seq, __entry->count,
		  __entry->deadline_ms)
);

TRACE_EVENT(exo_abort,
	TP_PROTO(u64 env_id, u64 seq, u64 taken),
	TP_ARGS(env_id, seq, taken),
	TP_STRUCT__entry(
		__field(u64, env_id)
		__field(u64, seq)
		__field(u64, taken)
	),
	TP_fast_assign(
		__entry->env_id = env_id;
		__entry->seq = seq;
		__entry->taken = taken;
	),
	TP_printk("env=%llu seq=%llu repossessed=%llu", __entry->env_id,
		  __entry->seq, __entry->taken)
);

#endif /* _EXO_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
