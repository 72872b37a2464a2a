/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Text that leaves khpsim: strings from a scenario file, a file name or an
 * error message quoting them may hold anything a JSON string can encode
 * (escape sequences, C1 controls), and a file name any byte.  Terminal
 * output escapes control characters; JSON output is always valid UTF-8.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "khpsim/parse.h"
#include "run/run.h"

size_t khp_utf8_len(const unsigned char *p, size_t avail)
{
	unsigned c = p[0];
	size_t n, i;
	unsigned cp;

	if (c < 0x80)
		return avail ? 1 : 0;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		cp = c & 0x07;
	} else {
		return 0;                       /* continuation byte, 0xc0/0xc1, 0xf5.. */
	}
	if (avail < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;                       /* overlong, beyond Unicode, surrogate */
	return n;
}

/* U+0080..U+009F, the C1 controls (0xc2 0x80..0x9f in UTF-8). */
static bool is_c1(const unsigned char *p, size_t n)
{
	return n == 2 && p[0] == 0xc2 && p[1] < 0xa0;
}

/*
 * The next character of p (len bytes left) for a terminal: *k bytes of
 * input become the returned bytes (*outlen of them, in esc or at p).
 */
static const char *text_piece(const unsigned char *p, size_t len, char esc[8], size_t *k,
			      size_t *outlen)
{
	*k = khp_utf8_len(p, len);
	if (!*k || *p < 0x20 || *p == 0x7f) {
		snprintf(esc, 8, "\\x%02x", *p);
		*k = 1;
		*outlen = 4;
		return esc;
	}
	if (is_c1(p, *k)) {
		snprintf(esc, 8, "\\u%04x", p[1]);
		*outlen = 6;
		return esc;
	}
	*outlen = *k;
	return (const char *)p;
}

char *khp_text_escape(char *dst, size_t n, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t len = strlen((const char *)p), o = 0;

	if (!n)
		return dst;
	while (*p) {
		char esc[8];
		size_t k, outlen;
		const char *out = text_piece(p, len, esc, &k, &outlen);

		if (o + outlen >= n)
			break;
		memcpy(dst + o, out, outlen);
		o += outlen;
		p += k;
		len -= k;
	}
	dst[o] = 0;
	return dst;
}

void khp_text_put(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t len = strlen((const char *)p);

	while (*p) {
		char esc[8];
		size_t k, outlen;
		const char *out = text_piece(p, len, esc, &k, &outlen);

		fwrite(out, 1, outlen, f);
		p += k;
		len -= k;
	}
}

void khp_json_put_string(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t len = strlen((const char *)p);

	fputc('"', f);
	while (*p) {
		size_t k = khp_utf8_len(p, len);

		if (!k) {
			fputs("\\ufffd", f);    /* not UTF-8: the replacement character */
			k = 1;
		} else if (*p == '"' || *p == '\\') {
			fputc('\\', f);
			fputc(*p, f);
		} else if (*p == '\n') {
			fputs("\\n", f);
		} else if (*p == '\t') {
			fputs("\\t", f);
		} else if (*p == '\r') {
			fputs("\\r", f);
		} else if (*p < 0x20 || *p == 0x7f) {
			fprintf(f, "\\u%04x", *p);
		} else if (is_c1(p, k)) {
			fprintf(f, "\\u%04x", p[1]);
		} else {
			fwrite(p, 1, k, f);
		}
		p += k;
		len -= k;
	}
	fputc('"', f);
}

int run_say(char *msg, size_t len, int code, const char *fmt, ...)
{
	va_list ap;

	if (msg && len) {
		va_start(ap, fmt);
		vsnprintf(msg, len, fmt, ap);
		va_end(ap);
	}
	return code;
}
