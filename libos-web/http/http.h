/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * http.h — libos-web's HTTP/1.x layer: a request parser, the file cache
 * (which is also the TCP retransmission pool), responses and a connection
 * state machine that knows nothing about the transport underneath.
 *
 *   parse.c     incremental request parser (bytes arrive in pieces)
 *   uri.c       percent-decoding and path normalisation
 *   date.c      HTTP-date formatting and parsing (RFC 9110 5.6.7)
 *   mime.c      Content-Type by file extension
 *   range.c     one byte range (RFC 9110 14.1)
 *   csum.c      ones'-complement sums and per-file prefix-sum tables
 *   cache.c     the document tree loaded into memory the server owns,
 *               with prebuilt response headers and checksum tables
 *   response.c  what to answer a parsed request, error pages
 *   conn.c      one connection: input buffer, pipelining, the response
 *               being sent, timeouts
 *
 * Behaviour follows nginx 1.22 where the issue asks for it ("as nginx uses
 * them"); every deliberate difference is listed in libos-web/README.md.
 */
#ifndef LIBOS_WEB_HTTP_H
#define LIBOS_WEB_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* ---- Limits (every input is bounded) ------------------------------------ */

#define HTTP_IN_MAX		16384	/* request line + headers, bytes */
#define HTTP_LINE_MAX		8192	/* request line (-> 414) or one header
					 * line (-> 431) */
#define HTTP_HEADERS_MAX	100	/* header fields per request (-> 431) */
#define HTTP_METHOD_MAX		32	/* method token length (-> 400) */
#define HTTP_PATH_MAX		HTTP_LINE_MAX	/* decoded, normalised path */
#define HTTP_BLANK_MAX		32	/* empty lines tolerated before a
					 * request line (RFC 9112 2.2) */
#define HTTP_HDR_MAX		1024	/* one response's header block */
#define HTTP_SERVER_NAME	"exo-httpd"

/* ---- Parsed requests ------------------------------------------------------ */

enum http_method { HTTP_M_OTHER = 0, HTTP_M_GET, HTTP_M_HEAD };

/* A piece of the connection's input buffer (valid until the request ends). */
struct http_slice {
	uint16_t off, len;
};

#define HTTP_CONN_CLOSE		(1U << 0)	/* Connection: close */
#define HTTP_CONN_KEEPALIVE	(1U << 1)	/* Connection: keep-alive */

struct http_req {
	enum http_method method;
	uint8_t major, minor;		/* 0.9 for a request line without one */
	int status;			/* 0, or the 4xx/5xx the request earns */
	struct http_slice target;	/* request-target as sent */
	struct http_slice host;		/* Host: (len 0: none) */
	struct http_slice range, if_modified_since, if_range;
	uint32_t connection;		/* HTTP_CONN_* tokens seen */
	uint16_t nheaders;
	uint8_t nhost;
	bool chunked;			/* Transfer-Encoding: chunked */
	bool expect_continue;		/* Expect: 100-continue */
	int64_t content_length;		/* -1: none */
	uint32_t length;		/* bytes of the request head */
};

/*
 * The parser: call http_parse() each time bytes were appended to the
 * buffer; it resumes where it stopped.  Nothing is copied: the request's
 * slices index the buffer.
 */
enum http_parse_state {
	HP_START, HP_METHOD, HP_SP1, HP_TARGET, HP_SP2, HP_VERSION, HP_RL_CR,
	HP_HDR_START, HP_HDR_NAME, HP_HDR_COLON_WS, HP_HDR_VALUE, HP_HDR_CR,
	HP_END_CR, HP_DONE,
};

struct http_parser {
	enum http_parse_state state;
	uint32_t pos;			/* next byte to look at */
	uint32_t mark;			/* start of the current token */
	uint32_t line_start;		/* start of the current line */
	uint32_t name_off, name_len;	/* current header's name */
	uint32_t value_end;		/* after the value's last non-space */
	uint32_t blank;			/* empty lines before the request */
	struct http_req req;
};

enum http_parse_result {
	HTTP_PARSE_AGAIN = 0,		/* need more bytes */
	HTTP_PARSE_DONE,		/* req is complete (req.status may be set
					 * to an error the request earns) */
	HTTP_PARSE_ERROR,		/* req.status: the 4xx/5xx to answer;
					 * the connection must close after */
};

void http_parser_init(struct http_parser *p);
enum http_parse_result http_parse(struct http_parser *p, const char *buf,
				  size_t len);

/* true if a reply to @req may keep the connection open (RFC 9112 9.3). */
bool http_req_keepalive(const struct http_req *req);

/* ---- URI ------------------------------------------------------------------ */

/*
 * Turn a request-target (origin-form "/a/b?q", or absolute-form
 * "http://host/a/b") into a decoded, normalised absolute path in @out
 * (@outsz bytes, NUL-terminated): percent-escapes decoded, "//" merged,
 * "." and ".." segments resolved.  A trailing '/' is kept.  Returns the
 * path length, or -400 (bad escape, NUL, control byte, ".." above the
 * root, not a path) or -414 (longer than @outsz - 1).
 */
int http_uri_path(const char *target, size_t len, char *out, size_t outsz);

/* ---- Dates (RFC 9110 5.6.7) ------------------------------------------------- */

#define HTTP_DATE_LEN	29		/* "Sun, 06 Nov 1994 08:49:37 GMT" */

/* Write @t as an IMF-fixdate into @out (HTTP_DATE_LEN + 1 bytes, NUL). */
void http_date_format(time_t t, char *out);

/*
 * Parse an IMF-fixdate, an RFC 850 date or an asctime() date (the three
 * forms a recipient must accept).  Returns 0 and *@t, or -1.
 */
int http_date_parse(const char *s, size_t len, time_t *t);

/* ---- Content types ------------------------------------------------------- */

/* The Content-Type for @path by its extension (case-insensitive). */
const char *http_mime_type(const char *path);

/* ---- Ranges (RFC 9110 14) -------------------------------------------------- */

enum http_range_result {
	HTTP_RANGE_NONE,		/* ignore the header: send 200 */
	HTTP_RANGE_OK,			/* send 206 of [*first, *last] */
	HTTP_RANGE_UNSATISFIABLE,	/* send 416 */
};

/*
 * Interpret a Range header value for a document of @size bytes.  One
 * "bytes=" range is served; several ranges are answered with the whole
 * document (allowed by RFC 9110 14.2); other units are ignored.
 */
enum http_range_result http_range_parse(const char *s, size_t len,
					uint64_t size, uint64_t *first,
					uint64_t *last);

/* ---- Ones'-complement sums (RFC 1071, RFC 1624) --------------------------- */

/*
 * The 16-bit ones'-complement sum of @len bytes taken as big-endian
 * 16-bit words (a trailing odd byte is the high half of a last word),
 * added to @sum.  Not complemented; 0 and 0xffff are the same number.
 */
uint16_t http_csum(const void *buf, size_t len, uint16_t sum);
uint16_t http_csum_add(uint16_t a, uint16_t b);
uint16_t http_csum_sub(uint16_t a, uint16_t b);
/* A sum of bytes that begin at an odd offset of the enclosing stream. */
static inline uint16_t http_csum_swap(uint16_t s)
{
	return (uint16_t)(s << 8 | s >> 8);
}

/*
 * Prefix sums: tab[k] is the sum of bytes [0, k * HTTP_CSUM_STEP) of a
 * buffer, so the sum of any range is two table reads and at most
 * 2 * (HTTP_CSUM_STEP - 1) bytes read at its edges.
 */
#define HTTP_CSUM_STEP	64
size_t http_csum_table_len(size_t len);		/* entries for @len bytes */
void http_csum_table(const void *buf, size_t len, uint16_t *tab);
/* The sum of @buf[@off, @off + @len) as if @off were even. */
uint16_t http_csum_range(const void *buf, const uint16_t *tab, size_t off,
			 size_t len);

/* ---- The file cache -------------------------------------------------------- */

/*
 * Where cached documents live.  The default is anonymous memory; the exo
 * server passes frames mapped into a region it owns, so the bytes a
 * segment carries can later be sent straight from those frames (TSO,
 * zero copy, issue 14).  Blocks are page aligned.
 */
struct http_mem {
	void *ctx;
	void *(*alloc)(void *ctx, size_t len);	/* NULL on failure */
	void (*free)(void *ctx, void *p, size_t len);
};

/* Cheetah's optimisations, each behind its own switch (exo-httpd -O). */
#define HTTP_OPT_PREBUILT	(1U << 0)	/* headers prebuilt per file */
#define HTTP_OPT_CSUM		(1U << 1)	/* checksum tables per file */
#define HTTP_OPT_ZEROCOPY	(1U << 2)	/* send file bytes by reference
						 * (merged cache and
						 * retransmission pool) */
#define HTTP_OPT_ALL		(HTTP_OPT_PREBUILT | HTTP_OPT_CSUM | \
				 HTTP_OPT_ZEROCOPY)

enum http_entry_kind { HTTP_E_FILE, HTTP_E_DIR, HTTP_E_FORBIDDEN };

/* A prebuilt 200 header for one file and one Connection: value. */
struct http_prebuilt {
	uint16_t len;
	uint16_t date_off;		/* where the Date value is */
	uint16_t sum;			/* ones'-complement sum of all of it */
	char buf[HTTP_HDR_MAX / 2];
};

struct http_file {
	char *path;			/* "/a/b.html", NUL-terminated */
	uint32_t path_len;
	uint32_t hash;
	enum http_entry_kind kind;
	uint64_t size;
	time_t mtime;
	const char *type;		/* Content-Type */
	const uint8_t *data;		/* size bytes (NULL when 0) */
	size_t alloc;			/* bytes allocated at data */
	uint16_t *csum;			/* prefix sums, or NULL */
	char etag[40];			/* "\"<mtime hex>-<size hex>\"" */
	char last_modified[HTTP_DATE_LEN + 1];
	time_t prebuilt_date;		/* second the Date fields show */
	struct http_prebuilt pre[2];	/* [0] keep-alive, [1] close */
};

struct http_cache_limits {
	uint64_t max_bytes;		/* all documents together */
	uint32_t max_files;		/* entries (files and directories) */
	uint32_t max_depth;		/* directory nesting */
};

struct http_cache {
	struct http_file *files;
	uint32_t nfiles, cap;
	uint32_t *slots;		/* open-addressed: index + 1, 0 empty */
	uint32_t nslots;		/* power of two */
	uint64_t bytes;
	uint32_t opts;			/* HTTP_OPT_* */
	struct http_mem mem;
	struct http_cache_limits lim;
};

/*
 * Load every file under the directory @root (recursively; symbolic links
 * to files are followed, to directories not; files the server cannot read
 * become HTTP_E_FORBIDDEN entries answering 403).  @mem NULL: anonymous
 * memory; @lim NULL: defaults (1 GiB, 65536 entries, depth 32).
 * Returns 0, or -errno (-EFBIG / -ENFILE past a limit, -ENOMEM, I/O errors)
 * with @c empty.
 */
int http_cache_load(struct http_cache *c, const char *root, uint32_t opts,
		    const struct http_mem *mem,
		    const struct http_cache_limits *lim);
void http_cache_free(struct http_cache *c);

/*
 * A document tree that is not a host directory (exo-httpd --exofs: an
 * exofs on exo's disk).  @list calls @fn for each entry of directory
 * @path ("" for the root, else "/a/b"), stopping at its first non-zero
 * return (returned); @read fills @dst (page aligned, room for the size
 * rounded up to whole pages) with the @size bytes of file @path.  Both
 * return 0 or -errno.
 */
struct http_docsrc {
	void *ctx;
	int (*list)(void *ctx, const char *path,
		    int (*fn)(void *arg, const char *name, bool is_dir,
			      uint64_t size, time_t mtime),
		    void *arg);
	int (*read)(void *ctx, const char *path, void *dst, uint64_t size);
};

/* http_cache_load() from @src.  Returns 0, or -errno with @c empty. */
int http_cache_load_src(struct http_cache *c, const struct http_docsrc *src,
			uint32_t opts, const struct http_mem *mem,
			const struct http_cache_limits *lim);

/* The entry for a normalised path ("/a/b", no trailing '/'), or NULL. */
struct http_file *http_cache_lookup(const struct http_cache *c,
					  const char *path, size_t len);

/*
 * Bring @f's prebuilt headers' Date up to @now (once a second at most),
 * patching the sum incrementally (RFC 1624).  The cache is otherwise
 * immutable while the server runs: bytes referenced by segments in flight
 * never change.
 */
void http_cache_touch(struct http_file *f, time_t now, const char *date);

/* Sum of @f->data[@off, @off + @len) as if @off were even. */
uint16_t http_file_csum(const struct http_file *f, size_t off, size_t len);

/* ---- Responses ------------------------------------------------------------- */

/*
 * One response: a block of bytes copied to the transport (the head, and
 * for an error the little HTML page after it) and an optional body that
 * is a range of a cached file, sent by reference.
 */
struct http_resp {
	int status;
	bool close;			/* close the connection after it */
	uint16_t hdr_len;
	uint16_t hdr_sum;		/* ones'-complement sum of hdr */
	struct http_file *file;		/* body from the cache, or NULL */
	uint64_t body_off, body_len;
	char hdr[HTTP_HDR_MAX];
};

struct http_server_ctx {
	struct http_cache *cache;
	uint32_t opts;			/* HTTP_OPT_* */
	time_t now;			/* for Date, once per second */
	char date[HTTP_DATE_LEN + 1];	/* http_date_format(now) */
};

/* Set ctx->now and ctx->date from @now. */
void http_ctx_clock(struct http_server_ctx *ctx, time_t now);

/*
 * Build the response to @req (parsed from @buf).  @req->status set: the
 * error response for it.  Returns nothing; fills @r.
 */
void http_respond(struct http_server_ctx *ctx, const struct http_req *req,
		  const char *buf, struct http_resp *r);

/* An error response with status @status (no request, or a parse error). */
void http_respond_error(struct http_server_ctx *ctx, int status, bool close,
			bool head, struct http_resp *r);

/* "Not Found" for 404 and so on; NULL for a status this server never sends. */
const char *http_reason(int status);

/*
 * Format a response head: status line, Server, Date (@date), then, as
 * nginx orders them, Content-Type (@type, may be NULL), Content-Length
 * (@length < 0: none), Last-Modified and ETag (from @f, may be NULL),
 * Connection, the lines in @extra (each ending in CRLF, may be NULL) and
 * Accept-Ranges for files.  *@date_off (may be NULL) gets where the Date
 * value is.  Returns the length, or -1 if it does not fit in @sz.
 */
int http_format_head(char *buf, size_t sz, int status, const char *date,
		     const struct http_file *f, const char *type,
		     int64_t length, bool close, const char *extra,
		     uint16_t *date_off);

/* ---- Connections ----------------------------------------------------------- */

/*
 * What a connection needs from its transport.  Both calls may take fewer
 * bytes than offered (a full send buffer): the connection resumes where it
 * stopped at the next http_conn_run().
 */
struct http_io {
	void *ctx;
	/*
	 * Copy bytes; @more: more of this response follows at once (the
	 * transport may hold a sub-MSS tail for it).  Returns bytes taken
	 * (0: no room now) or -errno.
	 */
	long (*write)(void *ctx, const void *p, size_t len, bool more);
	/*
	 * Send @len bytes of @f's data at @off by reference: they stay
	 * unchanged for the server's life.  All or nothing: returns @len,
	 * 0 (no room now) or -errno.  NULL: bytes are copied with write().
	 */
	long (*write_ref)(void *ctx, struct http_file *f, uint64_t off,
			  size_t len, bool more);
	/* No more output: send FIN after what was written. */
	void (*shutdown)(void *ctx);
};

enum http_conn_phase {
	HC_READ,			/* waiting for (the rest of) a request */
	HC_WRITE,			/* handing a response to the transport */
	HC_CLOSING,			/* shut down for writing; input is
					 * read and discarded until the peer
					 * closes (a lingering close) */
};

struct http_timeouts {
	uint64_t header_ms;		/* a started request head (408) */
	uint64_t idle_ms;		/* keep-alive between requests */
	uint64_t send_ms;		/* no send progress */
	uint64_t linger_ms;		/* HC_CLOSING */
};

struct http_conn {
	enum http_conn_phase phase;
	struct http_parser p;
	uint32_t in_len;		/* bytes in in[] */
	bool started;			/* in[] holds part of a request */
	bool eof;			/* the peer closed its side */
	uint64_t body_left;		/* request body bytes to discard */
	uint64_t requests;		/* answered on this connection */
	uint64_t since_ms;		/* start of the current wait */
	bool draining;			/* HC_CLOSING, our FIN not acked */
	uint64_t hdr_sent, body_sent;	/* progress of resp */
	struct http_resp resp;
	char in[HTTP_IN_MAX];
};

void http_conn_init(struct http_conn *c, uint64_t now_ms);

/*
 * Where to put received bytes: returns the free space at *@p (0: the
 * buffer is full of requests not answered yet; stop reading for now).
 */
size_t http_conn_in_space(struct http_conn *c, char **p);

/* @n bytes were written at http_conn_in_space()'s pointer. */
void http_conn_received(struct http_conn *c, size_t n);

/* The peer closed its half: no more input. */
void http_conn_eof(struct http_conn *c);

/*
 * Do all that can be done: parse buffered requests, answer them in order,
 * hand their bytes to @io until it is full.  Returns 1 while the
 * connection goes on, 0 once it is shut down for writing (HC_CLOSING:
 * drain input, close on the peer's FIN or the linger timeout), or -errno
 * from @io.
 */
int http_conn_run(struct http_conn *c, struct http_server_ctx *ctx,
		  const struct http_io *io, uint64_t now_ms);

/*
 * Apply the time limits at @now_ms: a request head not complete within
 * header_ms gets 408 and the connection closes after it; a keep-alive
 * connection idle for idle_ms, a response that made no progress for
 * send_ms, or a lingering close past linger_ms must go now.  Returns true
 * when the caller should close (abort) the connection; false otherwise
 * (then call http_conn_run() to send a 408 queued here).
 */
bool http_conn_timeout(struct http_conn *c, struct http_server_ctx *ctx,
		       const struct http_timeouts *t, uint64_t now_ms);

/*
 * For a transport that knows whether its FIN is acknowledged (exonet),
 * in HC_CLOSING: @fin_acked, and @progress when bytes were acknowledged
 * since the last call.  While the FIN is not acked the client does not
 * have the whole response yet: the wait is the send timeout (send_ms
 * without progress) rather than the lingering close, which starts at
 * the ack.  Without calls, lingering counts from the shutdown.
 */
void http_conn_closing(struct http_conn *c, bool fin_acked, bool progress,
		       uint64_t now_ms);

#endif /* LIBOS_WEB_HTTP_H */
