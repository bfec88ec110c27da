// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * mime.c — Content-Type by file extension (RFC 9110 8.3).
 *
 * The types nginx's mime.types gives the common extensions of a static
 * site, written out here (not copied: a list of IANA media types); an
 * unknown or missing extension is application/octet-stream, as nginx's
 * default_type.  Matching ignores case (nginx lowercases the extension).
 */
#include <string.h>
#include <strings.h>

#include "http.h"

static const struct {
	const char *ext, *type;
} types[] = {
	{ "html", "text/html" },	{ "htm", "text/html" },
	{ "shtml", "text/html" },	{ "css", "text/css" },
	{ "xml", "text/xml" },		{ "txt", "text/plain" },
	{ "csv", "text/csv" },		{ "md", "text/markdown" },
	{ "js", "application/javascript" },
	{ "mjs", "application/javascript" },
	{ "json", "application/json" },	{ "pdf", "application/pdf" },
	{ "wasm", "application/wasm" },	{ "zip", "application/zip" },
	{ "gz", "application/gzip" },	{ "tar", "application/x-tar" },
	{ "xz", "application/x-xz" },	{ "bz2", "application/x-bzip2" },
	{ "rss", "application/rss+xml" },
	{ "atom", "application/atom+xml" },
	{ "xhtml", "application/xhtml+xml" },
	{ "bin", "application/octet-stream" },
	{ "png", "image/png" },		{ "gif", "image/gif" },
	{ "jpg", "image/jpeg" },	{ "jpeg", "image/jpeg" },
	{ "webp", "image/webp" },	{ "avif", "image/avif" },
	{ "svg", "image/svg+xml" },	{ "svgz", "image/svg+xml" },
	{ "ico", "image/x-icon" },	{ "bmp", "image/x-ms-bmp" },
	{ "tif", "image/tiff" },	{ "tiff", "image/tiff" },
	{ "woff", "font/woff" },	{ "woff2", "font/woff2" },
	{ "ttf", "font/ttf" },		{ "otf", "font/otf" },
	{ "mp3", "audio/mpeg" },	{ "ogg", "audio/ogg" },
	{ "wav", "audio/wav" },		{ "m4a", "audio/x-m4a" },
	{ "mp4", "video/mp4" },		{ "webm", "video/webm" },
	{ "mpeg", "video/mpeg" },	{ "mpg", "video/mpeg" },
	{ "mov", "video/quicktime" },	{ "avi", "video/x-msvideo" },
};

const char *http_mime_type(const char *path)
{
	const char *slash = strrchr(path, '/');
	const char *dot = strrchr(path, '.');

	if (!dot || (slash && dot < slash) || dot[1] == '\0')
		return "application/octet-stream";
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (!strcasecmp(dot + 1, types[i].ext))
			return types[i].type;
	return "application/octet-stream";
}
