#ifndef CROSSRUN_CCURLLOADER_H
#define CROSSRUN_CCURLLOADER_H

#include <stddef.h>

/// Receives each chunk of a response body; returns how many bytes it took (fewer stops the transfer).
typedef size_t (*crossrun_http_sink)(const char *bytes, size_t count, void *context);

/// GETs `url` with libcurl, loaded with dlopen on first use (so a crossrun that never downloads never loads
/// libcurl and the TLS stack behind it). Follows redirects; gives up when no byte arrives for
/// `idle_timeout_seconds` (also the connect timeout). Returns 0 when the transfer completed, with the HTTP status
/// in `*http_status`; otherwise nonzero with a one-line reason in `error` (libcurl missing, DNS, TLS, a cut body,
/// the sink refusing bytes).
int crossrun_http_get(const char *url, const char *user_agent, long idle_timeout_seconds,
                      crossrun_http_sink sink, void *context, long *http_status,
                      char *error, size_t error_size);

#endif
